//! Per-instruction argument parsers (BuildKit's `line_parsers.go`): each turns the
//! text after the keyword and flags into the node's argument list.

use super::words::{parse_words, split_blank};

/// What a line parser produced: the arguments and whether they were JSON.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub(crate) args: Vec<String>,
    pub(crate) json: bool,
}

/// The shape of an instruction's arguments, chosen by keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `RUN`, `CMD`, `ENTRYPOINT`, `SHELL`: JSON array, else one string.
    MaybeJson,
    /// `ADD`, `COPY`, `VOLUME`: JSON array, else whitespace-separated words.
    MaybeJsonToList,
    /// `ENV`, `LABEL`: `key=value` pairs or the legacy `key value`.
    NameVal,
    /// `ARG`: words as written.
    NameOrNameVal,
    /// `FROM`, `EXPOSE`: whitespace-separated words.
    Whitespace,
    /// `MAINTAINER`, `STOPSIGNAL`, `USER`, `WORKDIR`: the rest as one string.
    Whole,
    /// `HEALTHCHECK`: a type word, then like `MaybeJson`.
    Health,
    /// `ONBUILD`: a nested instruction.
    SubCommand,
    /// Anything unknown: BuildKit's parser keeps an empty argument.
    Ignore,
}

/// The shape for a lower-cased keyword.
pub(crate) fn shape_of(keyword: &str) -> Shape {
    match keyword {
        "run" | "cmd" | "entrypoint" | "shell" => Shape::MaybeJson,
        "add" | "copy" | "volume" => Shape::MaybeJsonToList,
        "env" | "label" => Shape::NameVal,
        "arg" => Shape::NameOrNameVal,
        "from" | "expose" => Shape::Whitespace,
        "maintainer" | "stopsignal" | "user" | "workdir" => Shape::Whole,
        "healthcheck" => Shape::Health,
        "onbuild" => Shape::SubCommand,
        _ => Shape::Ignore,
    }
}

/// Parses `rest` for the given shape (not [`Shape::SubCommand`], which the caller handles).
pub(crate) fn parse_args(
    shape: Shape,
    keyword: &str,
    rest: &str,
    escape: char,
) -> Result<Parsed, String> {
    match shape {
        Shape::MaybeJson => maybe_json(rest),
        Shape::MaybeJsonToList => match json_array(rest) {
            Ok(args) => Ok(Parsed { args, json: true }),
            Err(JsonError::NotStrings) => Err(NOT_STRINGS.to_string()),
            Err(JsonError::NotJson) => Ok(Parsed {
                args: whitespace(rest),
                json: false,
            }),
        },
        Shape::NameVal => name_val(rest, keyword, escape).map(|args| Parsed { args, json: false }),
        Shape::NameOrNameVal => Ok(Parsed {
            args: parse_words(rest, escape),
            json: false,
        }),
        Shape::Whitespace => Ok(Parsed {
            args: whitespace(rest),
            json: false,
        }),
        Shape::Whole => Ok(Parsed {
            args: if rest.is_empty() {
                vec![]
            } else {
                vec![rest.to_string()]
            },
            json: false,
        }),
        Shape::Health => health(rest),
        Shape::Ignore => Ok(Parsed {
            args: vec![String::new()],
            json: false,
        }),
        Shape::SubCommand => unreachable!("ONBUILD is parsed by the caller"),
    }
}

const NOT_STRINGS: &str = "when using JSON array syntax, arrays must be comprised of strings only";

enum JsonError {
    NotJson,
    NotStrings,
}

fn json_array(rest: &str) -> Result<Vec<String>, JsonError> {
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return Err(JsonError::NotJson);
    }
    let values: Vec<serde_json::Value> =
        serde_json::from_str(rest).map_err(|_| JsonError::NotJson)?;
    values
        .into_iter()
        .map(|v| match v {
            serde_json::Value::String(s) => Ok(s),
            _ => Err(JsonError::NotStrings),
        })
        .collect()
}

fn maybe_json(rest: &str) -> Result<Parsed, String> {
    if rest.is_empty() {
        return Ok(Parsed::default());
    }
    match json_array(rest) {
        Ok(args) => Ok(Parsed { args, json: true }),
        Err(JsonError::NotStrings) => Err(NOT_STRINGS.to_string()),
        Err(JsonError::NotJson) => Ok(Parsed {
            args: vec![rest.to_string()],
            json: false,
        }),
    }
}

fn whitespace(rest: &str) -> Vec<String> {
    if rest.is_empty() {
        return vec![];
    }
    split_blank(rest, 0)
}

fn name_val(rest: &str, keyword: &str, escape: char) -> Result<Vec<String>, String> {
    let words = parse_words(rest, escape);
    if words.is_empty() {
        return Ok(vec![]);
    }
    if !words[0].contains('=') {
        let parts = split_blank(rest, 2);
        if parts.len() < 2 {
            return Err(format!(
                "{} must have two arguments",
                keyword.to_ascii_uppercase()
            ));
        }
        return Ok(vec![parts[0].clone(), parts[1].clone(), String::new()]);
    }
    let mut out = Vec::with_capacity(words.len() * 3);
    for word in words {
        let Some((k, v)) = word.split_once('=') else {
            return Err(format!(
                "Syntax error - can't find = in {word:?}. Must be of the form: name=value"
            ));
        };
        out.extend([k.to_string(), v.to_string(), "=".to_string()]);
    }
    Ok(out)
}

fn health(rest: &str) -> Result<Parsed, String> {
    let sep = rest.find(char::is_whitespace).unwrap_or(rest.len());
    if sep == 0 {
        return Ok(Parsed::default());
    }
    let typ = &rest[..sep];
    let cmd = maybe_json(rest[sep..].trim_start())?;
    let mut args = vec![typ.to_string()];
    args.extend(cmd.args);
    Ok(Parsed {
        args,
        json: cmd.json,
    })
}
