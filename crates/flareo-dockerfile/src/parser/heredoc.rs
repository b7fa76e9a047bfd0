//! Finding the heredocs (`<<EOF`, `<<-"EOF"`, `3<<EOF`) an instruction line opens.

use crate::ast::Heredoc;

/// Every heredoc opened on `line`, in order, with empty bodies (the caller reads them).
pub(crate) fn heredocs_in_line(line: &str) -> Vec<Heredoc> {
    raw_words(line)
        .iter()
        .filter_map(|w| heredoc_from_word(w))
        .collect()
}

/// Matches `^(\d*)<<(-?)([^<]*)$` and unquotes the delimiter.
fn heredoc_from_word(word: &str) -> Option<Heredoc> {
    let digits = word
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(word.len());
    let (fd, rest) = word.split_at(digits);
    let rest = rest.strip_prefix("<<")?;
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    if rest.is_empty() || rest.contains('<') {
        return None;
    }
    let name = unquote(rest);
    if name.is_empty() {
        return None;
    }
    Some(Heredoc {
        expand: !rest.contains(['"', '\'']),
        name,
        content: String::new(),
        chomp,
        file_descriptor: fd.parse().unwrap_or(0),
    })
}

/// Shell-style unquoting of a delimiter word (`"EOF"`, `'E'OF`, `E\OF`).
fn unquote(word: &str) -> String {
    let mut out = String::new();
    let mut chars = word.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None | Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Splits a line into shell words keeping quotes and escapes (BuildKit lexes with
/// raw quotes here), so `"<<EOF"` stays one quoted word and opens nothing.
fn raw_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                word.push(c);
                if c == q {
                    quote = None;
                } else if c == '\\'
                    && q == '"'
                    && let Some(n) = chars.next()
                {
                    word.push(n);
                }
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None => {
                in_word = true;
                word.push(c);
                if c == '"' || c == '\'' {
                    quote = Some(c);
                } else if c == '\\'
                    && let Some(n) = chars.next()
                {
                    word.push(n);
                }
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::heredocs_in_line;

    fn names(line: &str) -> Vec<(String, bool, bool, u32)> {
        heredocs_in_line(line)
            .into_iter()
            .map(|h| (h.name, h.expand, h.chomp, h.file_descriptor))
            .collect()
    }

    #[test]
    fn heredoc_words() {
        assert_eq!(names("RUN <<EOF"), [("EOF".into(), true, false, 0)]);
        assert_eq!(
            names("RUN <<-\"EOT\" bash"),
            [("EOT".into(), false, true, 0)]
        );
        assert_eq!(
            names("RUN 3<<'A' cat <<B"),
            [("A".into(), false, false, 3), ("B".into(), true, false, 0)]
        );
        assert!(names("RUN echo \"<<EOF\"").is_empty());
        assert!(names("RUN cat<<EOF").is_empty());
        assert!(names("RUN echo << EOF").is_empty());
    }
}
