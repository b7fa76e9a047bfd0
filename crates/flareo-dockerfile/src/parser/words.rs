//! Word splitting as BuildKit does it: instruction flags, quoted words, and the
//! whitespace split used by `FROM`, `COPY` and friends.

/// BuildKit's `reWhitespace`: `[\t\v\f\r ]+`.
pub(crate) fn is_ascii_blank(c: char) -> bool {
    matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

/// Splits `rest` on runs of ASCII blanks, at most `limit` pieces (`0` = no limit).
pub(crate) fn split_blank(rest: &str, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut s = rest;
    loop {
        if limit != 0 && out.len() + 1 == limit {
            out.push(s.to_string());
            return out;
        }
        match s.find(is_ascii_blank) {
            Some(start) => {
                out.push(s[..start].to_string());
                let after = &s[start..];
                let len = after.find(|c| !is_ascii_blank(c)).unwrap_or(after.len());
                s = &after[len..];
            }
            None => {
                out.push(s.to_string());
                return out;
            }
        }
    }
}

/// Takes the leading `--flag[=value]` words off an instruction's arguments.
/// Returns the remaining text and the flags (each with its `--`). A bare `--`
/// ends the flags and is dropped.
pub(crate) fn extract_flags(line: &str) -> (String, Vec<String>) {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote(char),
    }
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    let mut blank_ok = false;
    let mut phase = Phase::Spaces;
    let mut i = 0;
    while i <= chars.len() {
        let at_end = i == chars.len();
        let ch = if at_end { '\0' } else { chars[i].1 };
        if phase == Phase::Spaces {
            if at_end {
                break;
            }
            if ch.is_whitespace() {
                i += 1;
                continue;
            }
            let next_dash = chars.get(i + 1).is_some_and(|&(_, c)| c == '-');
            if ch != '-' || !next_dash {
                return (line[chars[i].0..].to_string(), words);
            }
            phase = Phase::Word;
        }
        if at_end {
            if word != "--" && (blank_ok || !word.is_empty()) {
                words.push(word);
            }
            break;
        }
        match phase {
            Phase::Word => {
                if ch.is_whitespace() {
                    phase = Phase::Spaces;
                    if word == "--" {
                        return (line[chars[i].0..].to_string(), words);
                    }
                    if blank_ok || !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                    word.clear();
                    blank_ok = false;
                } else if ch == '\'' || ch == '"' {
                    phase = Phase::Quote(ch);
                    blank_ok = true;
                } else if ch == '\\' {
                    if i + 1 < chars.len() {
                        i += 1;
                        word.push(chars[i].1);
                    }
                } else {
                    word.push(ch);
                }
            }
            Phase::Quote(q) => {
                if ch == q {
                    phase = Phase::Word;
                } else if ch == '\\' {
                    if i + 1 < chars.len() {
                        i += 1;
                        word.push(chars[i].1);
                    } else {
                        phase = Phase::Word;
                    }
                } else {
                    word.push(ch);
                }
            }
            Phase::Spaces => unreachable!("handled above"),
        }
        i += 1;
    }
    (String::new(), words)
}

/// Splits into words honouring quotes and the escape character; quotes and
/// escapes are kept as written (BuildKit's `parseWords`).
pub(crate) fn parse_words(rest: &str, escape: char) -> Vec<String> {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote(char),
    }
    let chars: Vec<char> = rest.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    let mut blank_ok = false;
    let mut phase = Phase::Spaces;
    let mut i = 0;
    while i <= chars.len() {
        let at_end = i == chars.len();
        let ch = if at_end { '\0' } else { chars[i] };
        if phase == Phase::Spaces {
            if at_end {
                break;
            }
            if ch.is_whitespace() {
                i += 1;
                continue;
            }
            phase = Phase::Word;
        }
        if at_end {
            if blank_ok || !word.is_empty() {
                words.push(word);
            }
            break;
        }
        match phase {
            Phase::Word => {
                if ch.is_whitespace() {
                    phase = Phase::Spaces;
                    if blank_ok || !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                    blank_ok = false;
                    i += 1;
                    continue;
                }
                if ch == '\'' || ch == '"' {
                    phase = Phase::Quote(ch);
                    blank_ok = true;
                }
                if ch == escape {
                    if i + 1 == chars.len() {
                        i += 1;
                        continue;
                    }
                    word.push(ch);
                    i += 1;
                    word.push(chars[i]);
                } else {
                    word.push(ch);
                }
            }
            Phase::Quote(q) => {
                if ch == q {
                    phase = Phase::Word;
                }
                if ch == escape && q != '\'' {
                    if i + 1 == chars.len() {
                        phase = Phase::Word;
                        i += 1;
                        continue;
                    }
                    word.push(ch);
                    i += 1;
                    word.push(chars[i]);
                } else {
                    word.push(ch);
                }
            }
            Phase::Spaces => unreachable!("handled above"),
        }
        i += 1;
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_stop_at_first_plain_word() {
        let (rest, flags) = extract_flags("--from=build --chown=a:b src dst");
        assert_eq!(flags, ["--from=build", "--chown=a:b"]);
        assert_eq!(rest, "src dst");
    }

    #[test]
    fn double_dash_ends_flags() {
        let (rest, flags) = extract_flags("--doit=true -- foo /tmp/");
        assert_eq!(flags, ["--doit=true"]);
        assert_eq!(rest.trim(), "foo /tmp/");
        let (rest, flags) = extract_flags("--doit -- [ ]");
        assert_eq!(flags, ["--doit"]);
        assert_eq!(rest.trim(), "[ ]");
    }

    #[test]
    fn words_keep_quotes() {
        assert_eq!(
            parse_words(r#"abc="123 456" def"#, '\\'),
            [r#"abc="123 456""#, "def"]
        );
        assert_eq!(parse_words(r"a\ b c", '\\'), [r"a\ b", "c"]);
    }

    #[test]
    fn blank_split() {
        assert_eq!(split_blank("a  b\tc", 0), ["a", "b", "c"]);
        assert_eq!(split_blank("a  b c", 2), ["a", "b c"]);
    }
}
