//! Parser directives (`# syntax=`, `# escape=`, `# check=`), honoured only at the very top.

use std::collections::BTreeSet;

use crate::ast::Directive;

/// Directive names BuildKit honours; any other `# key=value` line ends the directive block.
const KNOWN: [&str; 3] = ["syntax", "escape", "check"];

/// Tracks the directive block at the top of a file and the escape character it sets.
#[derive(Debug)]
pub(crate) struct Directives {
    pub(crate) escape: char,
    pub(crate) found: Vec<Directive>,
    seen: BTreeSet<String>,
    done: bool,
}

impl Directives {
    pub(crate) fn new() -> Self {
        Self {
            escape: '\\',
            found: Vec::new(),
            seen: BTreeSet::new(),
            done: false,
        }
    }

    /// Looks at one line (newline already trimmed). Once a line is not a known
    /// directive, no later line is one.
    pub(crate) fn observe(&mut self, line: &str, line_no: usize) -> Result<(), String> {
        if self.done {
            return Ok(());
        }
        let Some((key, value)) = split_directive(line) else {
            self.done = true;
            return Ok(());
        };
        let key = key.to_ascii_lowercase();
        if !KNOWN.contains(&key.as_str()) {
            self.done = true;
            return Ok(());
        }
        if !self.seen.insert(key.clone()) {
            return Err(format!("only one {key} parser directive can be used"));
        }
        if key == "escape" {
            self.escape = match value {
                "`" => '`',
                "\\" => '\\',
                other => {
                    return Err(format!(
                        "invalid escape token '{other}' does not match ` or \\"
                    ));
                }
            };
        }
        self.found.push(Directive {
            name: key,
            value: value.to_string(),
            line: line_no,
        });
        Ok(())
    }
}

/// Matches `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`, BuildKit's directive shape.
fn split_directive(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('#')?.trim_start();
    let key_len = rest
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_alphabetic() || (*i > 0 && c.is_ascii_digit())))
        .map_or(rest.len(), |(i, _)| i);
    if key_len == 0 {
        return None;
    }
    let (key, rest) = rest.split_at(key_len);
    let value = rest.trim_start().strip_prefix('=')?.trim();
    if value.is_empty() {
        return None;
    }
    Some((key, value))
}

#[cfg(test)]
mod tests {
    use super::split_directive;

    #[test]
    fn directive_shapes() {
        assert_eq!(split_directive("# escape=`"), Some(("escape", "`")));
        assert_eq!(split_directive("#escape = ` "), Some(("escape", "`")));
        assert_eq!(
            split_directive("# syntax=docker/dockerfile:1"),
            Some(("syntax", "docker/dockerfile:1"))
        );
        assert_eq!(split_directive("# escape="), None);
        assert_eq!(split_directive("# a comment"), None);
        assert_eq!(split_directive("#1x=y"), None);
        assert_eq!(split_directive("FROM x"), None);
    }
}
