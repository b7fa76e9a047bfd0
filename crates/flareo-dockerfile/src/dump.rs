//! BuildKit's AST dump format (`(run "echo hi")`), used by the conformance suite.

use crate::ast::{Dockerfile, Node};

/// The whole file's dump: one parenthesised line per instruction, no trailing newline.
pub fn dump(file: &Dockerfile) -> String {
    file.nodes
        .iter()
        .map(|n| format!("({})", dump_node(n)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One instruction's dump, without the surrounding parentheses.
pub fn dump_node(node: &Node) -> String {
    let mut out = node.value.to_lowercase();
    if !node.flags.is_empty() {
        let flags: Vec<String> = node.flags.iter().map(|f| go_quote(f)).collect();
        out.push_str(&format!(" [{}]", flags.join(" ")));
    }
    if let Some(sub) = &node.sub {
        out.push_str(&format!(" ({})", dump_node(sub)));
    }
    for arg in &node.args {
        out.push(' ');
        out.push_str(&go_quote(arg));
    }
    out.trim().to_string()
}

/// Quotes like Go's `strconv.Quote`: printable characters as they are, `"` and `\`
/// escaped, control characters as `\n`, `\x00`, `\u2028` and so on.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Approximates Go's `unicode.IsPrint`: graphic characters and the ASCII space.
fn is_go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c as u32,
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e | 0x200b..=0x200f
        | 0x202a..=0x202e | 0x2060..=0x206f | 0xfeff | 0xfff9..=0xfffb
        | 0xd800..=0xdfff | 0xe000..=0xf8ff | 0xfffe | 0xffff)
}

#[cfg(test)]
mod tests {
    use super::go_quote;

    #[test]
    fn quotes_like_go() {
        assert_eq!(go_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote("\u{0}\u{7f}\t♥"), r#""\x00\x7f\t♥""#);
        assert_eq!(go_quote("\u{2028}"), r#""\u2028""#);
    }
}
