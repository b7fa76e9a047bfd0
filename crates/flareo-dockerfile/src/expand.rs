//! Word processing as the builder does it later: removing quotes and escapes,
//! and expanding `$VAR` / `${VAR}` / `${VAR:-default}` from known `ARG` values.

use std::collections::BTreeMap;

/// The result of expanding a word: the text, and whether every variable in it was known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expanded {
    /// The word with quotes removed and known variables substituted.
    pub text: String,
    /// Names of variables that had no value (they expanded to the empty string).
    pub unknown: Vec<String>,
}

/// Removes quotes and escapes from `word` and substitutes variables from `vars`
/// (a missing variable becomes empty and is listed in [`Expanded::unknown`]).
/// Single quotes suppress expansion, as in the shell.
pub fn expand(word: &str, escape: char, vars: &BTreeMap<String, String>) -> Expanded {
    let chars: Vec<char> = word.chars().collect();
    let mut out = Expanded {
        text: String::new(),
        unknown: Vec::new(),
    };
    let mut i = 0;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => out.text.push(c),
            (_, c) if c == escape => {
                if let Some(&n) = chars.get(i + 1) {
                    // Inside double quotes only `$`, `"`, the escape itself and newline are escaped.
                    if quote.is_none() || matches!(n, '$' | '"' | '\n') || n == escape {
                        out.text.push(n);
                    } else {
                        out.text.push(c);
                        out.text.push(n);
                    }
                    i += 1;
                }
            }
            (_, '$') => i = expand_var(&chars, i, vars, &mut out, escape),
            (_, c) => out.text.push(c),
        }
        i += 1;
    }
    out
}

/// Expands the variable starting at `chars[i] == '$'`; returns the index of its last char.
fn expand_var(
    chars: &[char],
    i: usize,
    vars: &BTreeMap<String, String>,
    out: &mut Expanded,
    escape: char,
) -> usize {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if chars.get(i + 1) == Some(&'{') {
        let Some(close) = chars[i + 2..].iter().position(|&c| c == '}') else {
            out.text.push('$');
            return i;
        };
        let inner: String = chars[i + 2..i + 2 + close].iter().collect();
        let name_len = inner.find(|c: char| !is_name(c)).unwrap_or(inner.len());
        let (name, modifier) = inner.split_at(name_len);
        let value = vars
            .get(name)
            .filter(|v| !v.is_empty() || !modifier.starts_with(':'));
        let set = vars.contains_key(name);
        let text = match modifier {
            m if m.starts_with(":-") || m.starts_with('-') => {
                let default = m.trim_start_matches(':').trim_start_matches('-');
                match if m.starts_with(':') {
                    value
                } else {
                    vars.get(name)
                } {
                    Some(v) => v.clone(),
                    None => expand(default, escape, vars).text,
                }
            }
            m if m.starts_with(":+") || m.starts_with('+') => {
                let alt = m.trim_start_matches(':').trim_start_matches('+');
                let present = if m.starts_with(':') {
                    value.is_some()
                } else {
                    set
                };
                if present {
                    expand(alt, escape, vars).text
                } else {
                    String::new()
                }
            }
            _ => match vars.get(name) {
                Some(v) => v.clone(),
                None => {
                    out.unknown.push(name.to_string());
                    String::new()
                }
            },
        };
        out.text.push_str(&text);
        return i + 2 + close;
    }
    let len = chars[i + 1..].iter().take_while(|&&c| is_name(c)).count();
    if len == 0 {
        out.text.push('$');
        return i;
    }
    let name: String = chars[i + 1..i + 1 + len].iter().collect();
    match vars.get(&name) {
        Some(v) => out.text.push_str(v),
        None => out.unknown.push(name),
    }
    i + len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(word: &str, vars: &[(&str, &str)]) -> (String, Vec<String>) {
        let vars = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let e = expand(word, '\\', &vars);
        (e.text, e.unknown)
    }

    #[test]
    fn expansion_forms() {
        let v = [("BASE", "node"), ("TAG", "20-slim"), ("EMPTY", "")];
        assert_eq!(ex("$BASE:${TAG}", &v).0, "node:20-slim");
        assert_eq!(ex("${MISSING:-alpine:3.19}", &v).0, "alpine:3.19");
        assert_eq!(ex("${EMPTY:-x}", &v).0, "x");
        assert_eq!(ex("${EMPTY-x}", &v).0, "");
        assert_eq!(ex("${TAG:+y}", &v).0, "y");
        assert_eq!(ex("'$BASE'", &v).0, "$BASE");
        assert_eq!(ex("\"a b\"", &v).0, "a b");
        assert_eq!(ex(r"a\ b", &v).0, "a b");
        assert_eq!(ex("$NOPE", &v), (String::new(), vec!["NOPE".to_string()]));
    }
}
