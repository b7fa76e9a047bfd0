//! The instruction layer (BuildKit's `instructions` package): checks each node's
//! keyword, flags and arguments, and groups the file into build stages.

use std::collections::BTreeMap;

use crate::ast::{Dockerfile, Node};
use crate::error::ParseError;
use crate::expand::expand;

/// Every Dockerfile instruction keyword, lower-case.
pub const KEYWORDS: [&str; 18] = [
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
];

/// A checked Dockerfile: global `ARG`s and the build stages, in order.
/// Existence means every instruction is known, has allowed flags and a valid
/// argument count, and sits inside a stage.
#[derive(Debug, Clone)]
pub struct Program<'a> {
    /// The parsed file this program views.
    pub file: &'a Dockerfile,
    /// `ARG` declarations before the first `FROM`, name → default (empty when none).
    pub global_args: BTreeMap<String, String>,
    /// Build stages in file order; the last one is the image that gets published.
    pub stages: Vec<Stage<'a>>,
}

/// One `FROM` and the instructions up to the next `FROM`.
#[derive(Debug, Clone)]
pub struct Stage<'a> {
    /// 0-based position among stages.
    pub index: usize,
    /// The `AS` name, lower-cased.
    pub name: Option<String>,
    /// The `FROM` node.
    pub from: &'a Node,
    /// What the stage starts from.
    pub base: Base,
    /// The instructions after `FROM`, in order.
    pub body: Vec<&'a Node>,
}

/// What a `FROM` (or `COPY --from`) refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// `scratch`: the empty image.
    Scratch,
    /// An earlier stage, by index.
    Stage(usize),
    /// An image reference, after `ARG` expansion.
    Image {
        /// The reference as written in the Dockerfile.
        written: String,
        /// The reference with global `ARG` defaults substituted.
        resolved: String,
        /// Variables used that have no default (the reference is then uncertain).
        unresolved: Vec<String>,
    },
}

impl<'a> Program<'a> {
    /// The stage whose image is published (the last one).
    pub fn final_stage(&self) -> &Stage<'a> {
        self.stages
            .last()
            .expect("a checked program has at least one stage")
    }

    /// Resolves a `--from=` value seen in `stage_index`: an earlier stage by name or
    /// index, else an image reference.
    pub fn resolve_from(&self, value: &str, stage_index: usize) -> Base {
        let lower = value.to_ascii_lowercase();
        if let Some(s) = self.stages[..stage_index]
            .iter()
            .find(|s| s.name.as_deref() == Some(lower.as_str()))
        {
            return Base::Stage(s.index);
        }
        if let Ok(i) = value.parse::<usize>()
            && i < stage_index
        {
            return Base::Stage(i);
        }
        image_base(value, value, Vec::new())
    }

    /// The chain of stages `index` builds on, itself first, ending at an image or scratch.
    pub fn ancestry(&self, index: usize) -> Vec<&Stage<'a>> {
        let mut chain = vec![&self.stages[index]];
        while let Base::Stage(parent) = chain.last().expect("non-empty").base {
            chain.push(&self.stages[parent]);
        }
        chain
    }
}

fn image_base(written: &str, resolved: &str, unresolved: Vec<String>) -> Base {
    if resolved.eq_ignore_ascii_case("scratch") {
        Base::Scratch
    } else {
        Base::Image {
            written: written.to_string(),
            resolved: resolved.to_string(),
            unresolved,
        }
    }
}

/// Checks every instruction the way BuildKit's builder does before building, and
/// groups them into stages. Errors carry the line of the offending instruction.
pub fn check(file: &Dockerfile) -> Result<Program<'_>, ParseError> {
    let mut global_args = BTreeMap::new();
    let mut stages: Vec<Stage<'_>> = Vec::new();
    for node in &file.nodes {
        let err = |m: String| ParseError::spanning(node.start_line, node.end_line, m);
        check_node(node, false).map_err(err)?;
        let keyword = node.keyword();
        if keyword == "from" {
            let stage =
                stage_from(node, stages.len(), &stages, &global_args, file.escape).map_err(err)?;
            stages.push(stage);
        } else if let Some(stage) = stages.last_mut() {
            stage.body.push(node);
        } else if keyword == "arg" {
            for word in &node.args {
                let (name, default) = split_arg(word, file.escape);
                global_args.insert(name, default.unwrap_or_default());
            }
        } else {
            return Err(err(format!(
                "{} instruction before the first FROM: no build stage in current context (only ARG may come before FROM)",
                node.value.to_ascii_uppercase()
            )));
        }
    }
    if stages.is_empty() {
        let line = file.nodes.last().map_or(1, |n| n.end_line);
        return Err(ParseError::new(
            line,
            "no FROM instruction: a Dockerfile needs at least one build stage",
        ));
    }
    Ok(Program {
        file,
        global_args,
        stages,
    })
}

/// Splits an `ARG` word into its name and unquoted default.
pub fn split_arg(word: &str, escape: char) -> (String, Option<String>) {
    match word.split_once('=') {
        Some((name, value)) => (
            name.to_string(),
            Some(expand(value, escape, &BTreeMap::new()).text),
        ),
        None => (word.to_string(), None),
    }
}

fn stage_from<'a>(
    node: &'a Node,
    index: usize,
    earlier: &[Stage<'a>],
    args: &BTreeMap<String, String>,
    escape: char,
) -> Result<Stage<'a>, String> {
    let name = match node.args.as_slice() {
        [_] => None,
        [_, as_kw, name] if as_kw.eq_ignore_ascii_case("as") => {
            let lower = name.to_ascii_lowercase();
            if !valid_stage_name(&lower) {
                return Err(format!(
                    "invalid name for build stage: {name:?}, name can't start with a number or contain symbols"
                ));
            }
            if earlier
                .iter()
                .any(|s| s.name.as_deref() == Some(lower.as_str()))
            {
                return Err(format!(
                    "duplicate stage name {name:?}: each build stage needs its own name"
                ));
            }
            Some(lower)
        }
        _ => {
            return Err(
                "FROM requires either one or three arguments: FROM <image> [AS <name>]".to_string(),
            );
        }
    };
    let written = &node.args[0];
    let expanded = expand(written, escape, args);
    let lower = expanded.text.to_ascii_lowercase();
    let base = match earlier
        .iter()
        .find(|s| s.name.as_deref() == Some(lower.as_str()))
    {
        Some(s) => Base::Stage(s.index),
        None => image_base(written, &expanded.text, expanded.unknown),
    };
    Ok(Stage {
        index,
        name,
        from: node,
        base,
        body: Vec::new(),
    })
}

fn valid_stage_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// Flags each instruction accepts (BuildKit's current set).
fn allowed_flags(keyword: &str) -> &'static [&'static str] {
    match keyword {
        "from" => &["platform"],
        "run" => &["mount", "network", "security", "device"],
        "copy" => &["from", "chown", "chmod", "link", "parents", "exclude"],
        "add" => &[
            "chown",
            "chmod",
            "link",
            "keep-git-dir",
            "checksum",
            "exclude",
            "unpack",
        ],
        "healthcheck" => &[
            "interval",
            "timeout",
            "start-period",
            "start-interval",
            "retries",
        ],
        _ => &[],
    }
}

fn check_node(node: &Node, in_onbuild: bool) -> Result<(), String> {
    let keyword = node.keyword();
    let upper = node.value.to_ascii_uppercase();
    if !KEYWORDS.contains(&keyword.as_str()) {
        let hint = KEYWORDS
            .iter()
            .map(|k| (strsim_distance(k, &keyword), k))
            .filter(|(d, _)| *d <= 2)
            .min()
            .map(|(_, k)| format!(" (did you mean {}?)", k.to_ascii_uppercase()))
            .unwrap_or_default();
        return Err(format!("unknown instruction: {upper}{hint}"));
    }
    for flag in &node.flags {
        let name = flag.trim_start_matches('-');
        let name = name.split_once('=').map_or(name, |(k, _)| k);
        if !allowed_flags(&keyword).contains(&name) {
            return Err(format!("unknown flag: --{name} (not allowed on {upper})"));
        }
    }
    let n = node.args.len();
    let heredocs = node.heredocs.len();
    let exactly_one = |ok: bool| {
        if ok {
            Ok(())
        } else {
            Err(format!("{upper} requires exactly one argument"))
        }
    };
    let at_least_one = |ok: bool| {
        if ok {
            Ok(())
        } else {
            Err(format!("{upper} requires at least one argument"))
        }
    };
    match keyword.as_str() {
        "onbuild" => {
            if in_onbuild {
                return Err("ONBUILD ONBUILD isn't allowed".to_string());
            }
            let Some(sub) = &node.sub else {
                return Err("ONBUILD requires at least one argument".to_string());
            };
            let sub_kw = sub.keyword();
            if sub_kw == "from" || sub_kw == "maintainer" {
                return Err(format!(
                    "{} isn't allowed as an ONBUILD trigger",
                    sub_kw.to_ascii_uppercase()
                ));
            }
            return check_node(sub, true);
        }
        "env" | "label" | "expose" | "arg" | "volume" => at_least_one(n > 0)?,
        "maintainer" | "workdir" | "user" | "stopsignal" => exactly_one(n == 1)?,
        "run" => at_least_one(n > 0 || heredocs > 0)?,
        "add" | "copy" if n < 2 => {
            return Err(format!(
                "{upper} requires at least two arguments, but only {} provided: the destination could not be determined",
                if n == 1 { "one was" } else { "none were" }
            ));
        }
        "shell" => {
            if !node.json {
                return Err("SHELL requires the arguments to be in JSON form".to_string());
            }
            at_least_one(n > 0)?;
        }
        "healthcheck" => {
            let Some(typ) = node.args.first() else {
                return Err("HEALTHCHECK requires an argument: CMD <command> or NONE".to_string());
            };
            match typ.to_ascii_uppercase().as_str() {
                "NONE" if n > 1 => return Err("HEALTHCHECK NONE takes no arguments".to_string()),
                "NONE" => {}
                "CMD"
                    if n < 2
                        || node.args[1..].iter().all(|a| a.trim().is_empty()) && !node.json =>
                {
                    return Err("Missing command after HEALTHCHECK CMD".to_string());
                }
                "CMD" => {}
                other => return Err(format!("Unknown type {other:?} in HEALTHCHECK (try CMD)")),
            }
        }
        _ => {}
    }
    if keyword == "volume" && node.args.iter().any(|a| a.trim().is_empty()) {
        return Err("VOLUME specified can not be an empty string".to_string());
    }
    Ok(())
}

/// Levenshtein distance, for "did you mean" on instruction keywords.
fn strsim_distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(a, b)
}
