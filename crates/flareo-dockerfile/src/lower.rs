//! Lowering: turns a checked Dockerfile into one an older builder (buildah 1.28,
//! which predates heredocs) builds the same way BuildKit would, and pins every base
//! image to the digest the caller's cache holds.
//!
//! What BuildKit does with heredocs, and what the lowered file does instead:
//! - `RUN <<EOF` alone, body without `#!`: the body runs as a shell script →
//!   `RUN [<shell>..., "<body>"]`.
//! - `RUN <<EOF` alone, body starting `#!`: the body is a file mounted read-only at
//!   `/dev/pipes/<name>` (mode 0755) and executed → a generated context file, bind
//!   mounted there by `RUN --mount=type=bind,...`.
//! - Any other `RUN` with heredocs (`RUN python3 <<EOF`, several heredocs): the shell
//!   gets the command line followed by each body and terminator, and handles the
//!   heredocs itself → `RUN [<shell>..., "<line>\n<body><name>..."]`.
//! - `COPY`/`ADD <<NAME dest`: a file called `NAME` holding the body (variables
//!   expanded unless the delimiter was quoted) → a generated context file.
//!
//! `<<-` bodies lose their leading tabs where BuildKit strips them.

use std::collections::BTreeMap;

use crate::expand::expand;
use crate::image_ref::ImageRef;
use crate::instructions::{Base, Program, split_arg};
use crate::{Heredoc, Node};

/// The directory, inside the prepared build context, holding generated files.
pub const GENERATED_DIR: &str = ".flareo-generated";

/// A file the lowered Dockerfile expects in the build context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the context root, under [`GENERATED_DIR`].
    pub path: String,
    /// The bytes to write.
    pub content: String,
    /// Unix permission bits.
    pub mode: u32,
}

/// A lowered Dockerfile and the context files it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lowered {
    /// Dockerfile text with no heredocs and every image reference pinned.
    pub dockerfile: String,
    /// Files to add to the context before building.
    pub files: Vec<GeneratedFile>,
    /// Every image the build uses, as `(written, pinned)`, in first-use order.
    pub images: Vec<(String, String)>,
}

/// Why a Dockerfile could not be lowered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LowerError {
    /// The pinning callback refused an image (not cached, digest mismatch, ...).
    #[error("line {line}: {message}")]
    Image {
        /// 1-based line of the instruction using the image.
        line: usize,
        /// The callback's explanation, e.g. `base image not in approved list: x`.
        message: String,
    },
    /// A construct that has no faithful lowering.
    #[error("line {line}: {message}")]
    Unsupported {
        /// 1-based line of the instruction.
        line: usize,
        /// What is unsupported and what to write instead.
        message: String,
    },
}

impl LowerError {
    /// The callback's or lowering's message without the line prefix.
    pub fn message(&self) -> &str {
        match self {
            Self::Image { message, .. } | Self::Unsupported { message, .. } => message,
        }
    }
}

/// Lowers `program`. `pin` maps an image reference to the reference the builder
/// must use (normally `repo@sha256:...` in the local cache) or explains why not.
pub fn lower(
    program: &Program<'_>,
    pin: &dyn Fn(&ImageRef) -> Result<String, String>,
) -> Result<Lowered, LowerError> {
    let file = program.file;
    let mut out = Lowered {
        dockerfile: String::new(),
        files: Vec::new(),
        images: Vec::new(),
    };
    if file.escape != '\\' {
        out.dockerfile
            .push_str(&format!("# escape={}\n", file.escape));
    }
    let mut pin_image = |written: &str, line: usize| -> Result<String, LowerError> {
        let reference = ImageRef::parse(written).map_err(|e| LowerError::Image {
            line,
            message: format!("invalid image reference {written:?}: {e}"),
        })?;
        let pinned = pin(&reference).map_err(|message| LowerError::Image { line, message })?;
        if !out.images.iter().any(|(w, _)| w == written) {
            out.images.push((written.to_string(), pinned.clone()));
        }
        Ok(pinned)
    };

    let mut lines = Vec::new();
    for node in file.nodes.iter().take_while(|n| n.keyword() != "from") {
        lines.push(node.original.clone());
    }
    let mut generated = Vec::new();
    for stage in &program.stages {
        let from = stage.from;
        let target = match &stage.base {
            Base::Scratch => "scratch".to_string(),
            Base::Stage(i) => program.stages[*i]
                .name
                .clone()
                .unwrap_or_else(|| i.to_string()),
            Base::Image { resolved, .. } => pin_image(resolved, from.start_line)?,
        };
        let mut line = String::from("FROM ");
        for flag in &from.flags {
            line.push_str(flag);
            line.push(' ');
        }
        line.push_str(&target);
        if let Some(name) = &stage.name {
            line.push_str(" AS ");
            line.push_str(name);
        }
        lines.push(line);

        let mut shell = vec!["/bin/sh".to_string(), "-c".to_string()];
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        for node in &stage.body {
            let keyword = node.keyword();
            match keyword.as_str() {
                "shell" => shell = node.args.clone(),
                "arg" => {
                    for word in &node.args {
                        let (name, default) = split_arg(word, file.escape);
                        let value = default
                            .or_else(|| program.global_args.get(&name).cloned())
                            .unwrap_or_default();
                        vars.insert(name, value);
                    }
                }
                "env" => {
                    for kv in node.args.chunks(3) {
                        if let [k, v, ..] = kv {
                            let value = expand(v, file.escape, &vars).text;
                            vars.insert(k.clone(), value);
                        }
                    }
                }
                _ => {}
            }
            let flags = lower_flags(node, stage.index, program, &mut pin_image)?;
            let text = match keyword.as_str() {
                "run" if !node.heredocs.is_empty() => {
                    lower_run(node, &flags, &shell, &mut generated)?
                }
                "copy" | "add" if !node.heredocs.is_empty() => {
                    lower_copy(node, &flags, &vars, file.escape, &mut generated)?
                }
                _ if flags != node.flags => replace_flags(node, &flags),
                _ => node.original.clone(),
            };
            lines.push(text);
        }
    }
    for line in lines {
        out.dockerfile.push_str(&line);
        out.dockerfile.push('\n');
    }
    out.files = generated;
    Ok(out)
}

/// The node's flags with image references in `--from=` and `--mount=...,from=` pinned.
fn lower_flags(
    node: &Node,
    stage: usize,
    program: &Program<'_>,
    pin_image: &mut dyn FnMut(&str, usize) -> Result<String, LowerError>,
) -> Result<Vec<String>, LowerError> {
    let mut flags = Vec::with_capacity(node.flags.len());
    for flag in &node.flags {
        let lowered = if let Some(value) = flag.strip_prefix("--from=") {
            match program.resolve_from(value, stage) {
                Base::Image { resolved, .. } => {
                    format!("--from={}", pin_image(&resolved, node.start_line)?)
                }
                _ => flag.clone(),
            }
        } else if let Some(spec) = flag.strip_prefix("--mount=") {
            let mut fields = Vec::new();
            for field in spec.split(',') {
                match field.split_once('=') {
                    Some(("from", value)) => match program.resolve_from(value, stage) {
                        Base::Image { resolved, .. } => {
                            fields.push(format!("from={}", pin_image(&resolved, node.start_line)?))
                        }
                        _ => fields.push(field.to_string()),
                    },
                    _ => fields.push(field.to_string()),
                }
            }
            format!("--mount={}", fields.join(","))
        } else {
            flag.clone()
        };
        flags.push(lowered);
    }
    Ok(flags)
}

/// The instruction text with its flags replaced (flags lead the arguments).
fn replace_flags(node: &Node, flags: &[String]) -> String {
    let mut rest = node.original.trim_start();
    rest = rest[node.value.len()..].trim_start();
    for flag in &node.flags {
        rest = rest
            .strip_prefix(flag.as_str())
            .unwrap_or(rest)
            .trim_start();
    }
    let mut out = node.value.clone();
    for flag in flags {
        out.push(' ');
        out.push_str(flag);
    }
    out.push(' ');
    out.push_str(rest);
    out
}

fn body(heredoc: &Heredoc) -> String {
    if !heredoc.chomp {
        return heredoc.content.clone();
    }
    heredoc
        .content
        .split_inclusive('\n')
        .map(|l| l.trim_start_matches('\t'))
        .collect()
}

fn json_array(words: &[String]) -> String {
    serde_json::to_string(words).expect("strings always serialise")
}

fn flag_prefix(keyword: &str, flags: &[String]) -> String {
    let mut out = keyword.to_ascii_uppercase();
    for flag in flags {
        out.push(' ');
        out.push_str(flag);
    }
    out
}

/// A heredoc word as BuildKit's `ParseHeredoc` sees a whole command: `<<EOF`,
/// `<<-EOF`, `<<"EOF"`, with nothing else on the line.
fn is_sole_heredoc(command: &str) -> bool {
    let c = command.trim();
    let Some(rest) = c.strip_prefix("<<") else {
        return false;
    };
    let rest = rest.strip_prefix('-').unwrap_or(rest).trim_start();
    !rest.is_empty() && !rest.contains(char::is_whitespace) && !rest.contains('<')
}

fn lower_run(
    node: &Node,
    flags: &[String],
    shell: &[String],
    generated: &mut Vec<GeneratedFile>,
) -> Result<String, LowerError> {
    if node.json {
        return Err(LowerError::Unsupported {
            line: node.start_line,
            message: "a heredoc on an exec-form RUN has no meaning; use the shell form".into(),
        });
    }
    let command = node.args.first().map(String::as_str).unwrap_or_default();
    let prefix = flag_prefix("RUN", flags);
    if node.heredocs.len() == 1 && is_sole_heredoc(command) {
        let heredoc = &node.heredocs[0];
        let data = body(heredoc);
        if data.starts_with("#!") {
            let dir = format!("{GENERATED_DIR}/run-{}", node.start_line);
            generated.push(GeneratedFile {
                path: format!("{dir}/{}", heredoc.name),
                content: data,
                mode: 0o755,
            });
            return Ok(format!(
                "{prefix} --mount=type=bind,source={dir},target=/dev/pipes,readonly {}",
                json_array(&[format!("/dev/pipes/{}", heredoc.name)])
            ));
        }
        let mut argv = shell.to_vec();
        argv.push(data);
        return Ok(format!("{prefix} {}", json_array(&argv)));
    }
    let mut full = command.to_string();
    for heredoc in &node.heredocs {
        full.push('\n');
        full.push_str(&heredoc.content);
        full.push_str(&heredoc.name);
    }
    let mut argv = shell.to_vec();
    argv.push(full);
    Ok(format!("{prefix} {}", json_array(&argv)))
}

fn lower_copy(
    node: &Node,
    flags: &[String],
    vars: &BTreeMap<String, String>,
    escape: char,
    generated: &mut Vec<GeneratedFile>,
) -> Result<String, LowerError> {
    let words = &node.args;
    let mode = node
        .flag("chmod")
        .and_then(|m| u32::from_str_radix(m, 8).ok())
        .unwrap_or(0o644);
    let mut heredocs = node.heredocs.iter();
    let mut out = Vec::with_capacity(words.len());
    let last = words.len().saturating_sub(1);
    for (i, word) in words.iter().enumerate() {
        if i < last && word.starts_with("<<") {
            let heredoc = heredocs.next().ok_or_else(|| LowerError::Unsupported {
                line: node.start_line,
                message: format!("heredoc source {word} has no body"),
            })?;
            let mut data = body(heredoc);
            if heredoc.expand {
                data = expand_raw(&data, escape, vars);
            }
            let path = format!(
                "{GENERATED_DIR}/copy-{}-{i}/{}",
                node.start_line, heredoc.name
            );
            generated.push(GeneratedFile {
                path: path.clone(),
                content: data,
                mode,
            });
            out.push(path);
        } else {
            out.push(word.clone());
        }
    }
    Ok(format!(
        "{} {}",
        flag_prefix(&node.keyword(), flags),
        json_array(&out)
    ))
}

/// Expands `$NAME`, `${NAME}`, `${NAME:-word}` and `${NAME:+word}` in a heredoc
/// body the way BuildKit does for `COPY <<EOF`: quotes and escapes stay as written;
/// only an escaped `$` (`\$`) is kept literal (without its escape).
fn expand_raw(text: &str, escape: char, vars: &BTreeMap<String, String>) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        if c == escape && chars.get(i + 1) == Some(&'$') {
            out.push('$');
            i += 2;
        } else if c == '$' && chars.get(i + 1) == Some(&'{') {
            let Some(close) = chars[i + 2..].iter().position(|&c| c == '}') else {
                out.extend(&chars[i..]);
                break;
            };
            let inner: String = chars[i + 2..i + 2 + close].iter().collect();
            let (name, op) = match inner.find(":-").or_else(|| inner.find(":+")) {
                Some(at) => (&inner[..at], Some((&inner[at..at + 2], &inner[at + 2..]))),
                None => (inner.as_str(), None),
            };
            let value = vars.get(name).filter(|v| !v.is_empty());
            match (op, value) {
                (Some((":-", word)), None) => out.push_str(word),
                (Some((":+", word)), Some(_)) => out.push_str(word),
                (Some((":+", _)), None) => {}
                (_, v) => out.push_str(v.map_or("", String::as_str)),
            }
            i += close + 3;
        } else if c == '$'
            && chars
                .get(i + 1)
                .is_some_and(|&c| is_name(c) && !c.is_ascii_digit())
        {
            let len = chars[i + 1..].iter().take_while(|&&c| is_name(c)).count();
            let name: String = chars[i + 1..i + 1 + len].iter().collect();
            out.push_str(vars.get(&name).map_or("", String::as_str));
            i += len + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}
