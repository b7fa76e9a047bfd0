//! The Dockerfile parser: BuildKit's grammar (directives, continuations with either
//! escape character, comments inside continuations, heredocs, JSON and shell forms,
//! instruction flags), producing [`Dockerfile`] with line spans.

mod directives;
mod heredoc;
mod line_parsers;
pub(crate) mod words;

use crate::ast::{Dockerfile, Node, ParseWarning};
use crate::error::ParseError;
use directives::Directives;
use line_parsers::{Shape, parse_args, shape_of};
use words::{extract_flags, split_blank};

/// Largest Dockerfile accepted, in bytes. Real ones are a few KiB.
pub const MAX_DOCKERFILE_BYTES: usize = 1024 * 1024;

/// Parses Dockerfile bytes. Fails on invalid UTF-8, on files larger than
/// [`MAX_DOCKERFILE_BYTES`], and wherever [`parse`] fails.
pub fn parse_bytes(src: &[u8]) -> Result<Dockerfile, ParseError> {
    match std::str::from_utf8(src) {
        Ok(text) => parse(text),
        Err(e) => {
            let line = src[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            Err(ParseError::new(line, "invalid UTF-8"))
        }
    }
}

/// Parses a Dockerfile as BuildKit's parser does. The result's dump equals
/// BuildKit's for the same input; errors name the 1-based line.
///
/// This is the syntax layer only: unknown instructions and wrong argument counts
/// are caught by [`crate::instructions::check`].
pub fn parse(src: &str) -> Result<Dockerfile, ParseError> {
    if src.len() > MAX_DOCKERFILE_BYTES {
        return Err(ParseError::new(
            1,
            format!(
                "file is {} bytes, more than the {MAX_DOCKERFILE_BYTES}-byte limit",
                src.len()
            ),
        ));
    }
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut lines = src.split_inclusive('\n');
    let mut d = Directives::new();
    let mut current = 0usize;
    let mut nodes = Vec::new();
    let mut warnings = Vec::new();
    let mut comments: Vec<String> = Vec::new();

    while let Some(raw) = lines.next() {
        if is_comment(raw) {
            let text = raw.trim_start().trim_start_matches('#').trim();
            if text.is_empty() {
                comments.clear();
            } else {
                comments.push(text.to_string());
            }
        }
        current += 1;
        let line = process_line(&mut d, raw, true, current)?;
        let start = current;
        let (line, mut eol) = trim_continuation(line, d.escape);
        if eol && line.is_empty() {
            continue;
        }
        let mut buf = line.to_string();
        let mut empty_continuation = false;
        while !eol {
            let Some(raw) = lines.next() else { break };
            current += 1;
            let next = process_line(&mut d, raw, false, current)?;
            if is_comment(raw) {
                continue;
            }
            if next.trim_start().is_empty() {
                empty_continuation = true;
                continue;
            }
            let (next, e) = trim_continuation(next, d.escape);
            buf.push_str(next);
            eol = e;
        }
        if empty_continuation {
            warnings.push(ParseWarning {
                line: start,
                message: format!("empty continuation line found in: {buf}"),
            });
        }

        let mut node = node_from_line(&buf, d.escape, std::mem::take(&mut comments))
            .map_err(|m| ParseError::spanning(start, current, m))?;

        if can_contain_heredoc(&node) && buf.contains("<<") {
            for mut heredoc in heredoc::heredocs_in_line(&buf) {
                let mut terminated = false;
                for raw in lines.by_ref() {
                    current += 1;
                    let mut candidate = trim_newline(raw);
                    if heredoc.chomp {
                        candidate = candidate.trim_start_matches('\t');
                    }
                    if candidate == heredoc.name {
                        terminated = true;
                        break;
                    }
                    heredoc.content.push_str(raw);
                }
                if !terminated {
                    return Err(ParseError::spanning(
                        start,
                        current,
                        format!(
                            "unterminated heredoc {}: no line \"{}\" ends it",
                            heredoc.name, heredoc.name
                        ),
                    ));
                }
                node.heredocs.push(heredoc);
            }
        }
        node.start_line = start;
        node.end_line = current;
        nodes.push(node);
    }

    if nodes.is_empty() {
        return Err(ParseError::new(current.max(1), "file with no instructions"));
    }
    Ok(Dockerfile {
        directives: d.found,
        escape: d.escape,
        nodes,
        warnings,
    })
}

fn trim_newline(raw: &str) -> &str {
    let s = raw.strip_suffix('\n').unwrap_or(raw);
    s.strip_suffix('\r').unwrap_or(s)
}

fn is_comment(raw: &str) -> bool {
    trim_newline(raw).trim_start().starts_with('#')
}

/// Trims the newline (and leading whitespace when asked), feeds the directive
/// parser, and returns the line with comments removed.
fn process_line<'a>(
    d: &mut Directives,
    raw: &'a str,
    strip_left: bool,
    line_no: usize,
) -> Result<&'a str, ParseError> {
    let mut token = trim_newline(raw);
    if strip_left {
        token = token.trim_start();
    }
    d.observe(token, line_no)
        .map_err(|m| ParseError::new(line_no, m))?;
    if is_comment(token) {
        return Ok("");
    }
    Ok(token)
}

/// Removes a trailing escape character (and blanks after it): `(line, true)`
/// when the line ends the instruction, `(trimmed, false)` when it continues.
fn trim_continuation(line: &str, escape: char) -> (&str, bool) {
    let body = line.trim_end_matches([' ', '\t']);
    match body.strip_suffix(escape) {
        Some(rest) => (rest, false),
        None => (line, true),
    }
}

fn node_from_line(line: &str, escape: char, comments: Vec<String>) -> Result<Node, String> {
    let trimmed = line.trim();
    let mut parts = split_blank(trimmed, 2).into_iter();
    let cmd = parts.next().unwrap_or_default();
    let (rest, flags) = match parts.next() {
        Some(rest) => extract_flags(&rest),
        None => (String::new(), Vec::new()),
    };
    let rest = rest.trim();
    let keyword = cmd.to_ascii_lowercase();
    let shape = shape_of(&keyword);
    let mut node = Node {
        value: cmd,
        flags,
        args: Vec::new(),
        sub: None,
        json: false,
        heredocs: Vec::new(),
        original: line.to_string(),
        comments,
        start_line: 0,
        end_line: 0,
    };
    if shape == Shape::SubCommand {
        if !rest.is_empty() {
            node.sub = Some(Box::new(node_from_line(rest, escape, Vec::new())?));
        }
    } else {
        let parsed = parse_args(shape, &keyword, rest, escape)?;
        node.args = parsed.args;
        node.json = parsed.json;
    }
    Ok(node)
}

/// `RUN`, `COPY` and `ADD` in shell form may open heredocs, also inside `ONBUILD`.
fn can_contain_heredoc(node: &Node) -> bool {
    let inner = node.sub.as_deref().unwrap_or(node);
    matches!(inner.keyword().as_str(), "run" | "copy" | "add") && !inner.json
}
