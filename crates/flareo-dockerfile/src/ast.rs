//! The Dockerfile syntax tree: one [`Node`] per instruction, with flags, arguments,
//! heredocs and the lines it spans, as BuildKit's parser produces it.

use serde::Serialize;

/// A parsed Dockerfile: its parser directives and its instructions in file order.
///
/// A `Dockerfile` that exists came out of [`crate::parse`]: it holds at least one
/// instruction and every node's lines lie inside the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dockerfile {
    /// Parser directives (`# syntax=`, `# escape=`, `# check=`) found at the top.
    pub directives: Vec<Directive>,
    /// The escape character in force (`\` unless `# escape=` changed it).
    pub escape: char,
    /// Instructions in file order.
    pub nodes: Vec<Node>,
    /// Non-fatal oddities the parser noticed (e.g. empty continuation lines).
    pub warnings: Vec<ParseWarning>,
}

/// One parser directive from the top of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Directive {
    /// Lower-cased name: `syntax`, `escape` or `check`.
    pub name: String,
    /// The value as written, trimmed.
    pub value: String,
    /// 1-based line of the directive.
    pub line: usize,
}

/// A non-fatal parser observation, with the line it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParseWarning {
    /// 1-based line where the instruction concerned starts.
    pub line: usize,
    /// What was noticed.
    pub message: String,
}

/// One instruction, as BuildKit's parser represents it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    /// The instruction keyword as written (`from`, `RUN`, ...); compare with
    /// [`Node::keyword`] for the lower-cased form.
    pub value: String,
    /// Leading `--name[=value]` words, each as written with its `--`.
    pub flags: Vec<String>,
    /// Arguments: one per JSON element for exec form; a single string for
    /// shell form; `key value sep` triples for `ENV`/`LABEL`; `type args...` for
    /// `HEALTHCHECK`.
    pub args: Vec<String>,
    /// The instruction an `ONBUILD` wraps.
    pub sub: Option<Box<Node>>,
    /// True when the arguments were given in JSON (exec) form.
    pub json: bool,
    /// Heredocs the instruction opened, in order, with their bodies.
    pub heredocs: Vec<Heredoc>,
    /// The instruction's text with continuations joined (heredoc bodies excluded).
    pub original: String,
    /// Comment lines directly above the instruction.
    pub comments: Vec<String>,
    /// 1-based first line of the instruction.
    pub start_line: usize,
    /// 1-based last line, including continuation lines and heredoc terminators.
    pub end_line: usize,
}

impl Node {
    /// The keyword lower-cased (`run`, `copy`, ...).
    pub fn keyword(&self) -> String {
        self.value.to_ascii_lowercase()
    }

    /// The value of flag `--name` (`--name=value` → `Some("value")`, bare
    /// `--name` → `Some("")`); the last occurrence wins.
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .filter_map(|f| f.strip_prefix("--"))
            .find_map(|f| match f.split_once('=') {
                Some((k, v)) if k == name => Some(v),
                None if f == name => Some(""),
                _ => None,
            })
    }

    /// Every value given for a repeatable flag such as `--mount`, in order.
    pub fn flag_values(&self, name: &str) -> Vec<&str> {
        self.flags
            .iter()
            .filter_map(|f| f.strip_prefix("--"))
            .filter_map(|f| match f.split_once('=') {
                Some((k, v)) if k == name => Some(v),
                None if f == name => Some(""),
                _ => None,
            })
            .collect()
    }
}

/// A heredoc opened by `<<NAME` / `<<-NAME` on an instruction line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heredoc {
    /// The delimiter, unquoted.
    pub name: String,
    /// The body, with each line's newline, excluding the terminator line.
    pub content: String,
    /// False when the delimiter was quoted (`<<"EOF"`, `<<'EOF'`): no expansion.
    pub expand: bool,
    /// True for `<<-`: leading tabs are stripped from the body and terminator.
    pub chomp: bool,
    /// The file descriptor written before `<<` (`3<<EOF`), 0 when none.
    pub file_descriptor: u32,
}
