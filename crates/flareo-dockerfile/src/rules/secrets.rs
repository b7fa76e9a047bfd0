//! Secrets baked into the image: credential-shaped values in `ENV`, `ARG` defaults,
//! `LABEL` and `RUN`/heredoc text, and secret files a `COPY`/`ADD` takes from the context.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::context::{dockerignore, select};
use super::{Checked, Finding};
use crate::ast::Node;
use crate::expand::expand;

/// Well-known token formats, each with what it is.
static TOKEN_PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"\b(AKIA|ASIA)[0-9A-Z]{16}\b", "an AWS access key id"),
        (r"\bgh[pousr]_[A-Za-z0-9]{36,}\b", "a GitHub token"),
        (
            r"\bgithub_pat_[A-Za-z0-9_]{22,}\b",
            "a GitHub fine-grained token",
        ),
        (r"\bglpat-[A-Za-z0-9_-]{20,}\b", "a GitLab token"),
        (r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b", "a Slack token"),
        (r"\b[sr]k_live_[A-Za-z0-9]{16,}\b", "a Stripe live key"),
        (r"\bAIza[0-9A-Za-z_-]{35}\b", "a Google API key"),
        (r"\bnpm_[A-Za-z0-9]{36}\b", "an npm token"),
        (r"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----", "a private key"),
        (
            r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
            "a JSON web token",
        ),
        (
            r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:[^/\s@$]+@",
            "a URL with an embedded password",
        ),
    ]
    .into_iter()
    .map(|(re, what)| {
        (
            Regex::new(re).expect("static secret pattern compiles"),
            what,
        )
    })
    .collect()
});

/// Name endings that say a variable holds a credential.
const SECRET_NAME_ENDINGS: [&str; 13] = [
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "API_KEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "SECRET_KEY",
    "CLIENT_SECRET",
    "SIGNING_KEY",
    "CREDENTIALS",
    "AUTH_TOKEN",
];

pub(crate) fn check(c: &Checked<'_>, out: &mut Vec<Finding>) {
    for (name, value) in &c.program.global_args {
        value_check(c, "ARG", name, value, first_line_of_arg(c, name), out);
    }
    for stage in &c.program.stages {
        for node in &stage.body {
            node_check(c, node, out);
        }
    }
    files_check(c, out);
}

fn first_line_of_arg(c: &Checked<'_>, name: &str) -> usize {
    c.program
        .file
        .nodes
        .iter()
        .find(|n| n.keyword() == "arg" && n.args.iter().any(|a| a.split('=').next() == Some(name)))
        .map_or(1, |n| n.start_line)
}

fn node_check(c: &Checked<'_>, node: &Node, out: &mut Vec<Finding>) {
    let escape = c.program.file.escape;
    match node.keyword().as_str() {
        kw @ ("env" | "label") => {
            for triple in node.args.chunks(3) {
                if let [key, value, _] = triple {
                    let value = expand(value, escape, &BTreeMap::new());
                    if value.unknown.is_empty() {
                        value_check(
                            c,
                            &kw.to_ascii_uppercase(),
                            key,
                            &value.text,
                            node.start_line,
                            out,
                        );
                    }
                }
            }
        }
        "arg" => {
            for word in &node.args {
                if let (name, Some(default)) = crate::instructions::split_arg(word, escape) {
                    value_check(c, "ARG", &name, &default, node.start_line, out);
                }
            }
        }
        "run" | "copy" | "add" => {
            let mut texts: Vec<(&str, usize)> = node
                .args
                .iter()
                .map(|a| (a.as_str(), node.start_line))
                .collect();
            texts.extend(
                node.heredocs
                    .iter()
                    .map(|h| (h.content.as_str(), node.start_line)),
            );
            for (text, line) in texts {
                if let Some(what) = token_kind(text) {
                    out.push(c.finding(
                        "FL401",
                        line,
                        format!("secret baked into the image: {} contains {what}", node.value.to_ascii_uppercase()),
                        "pass credentials at run time (environment or mounted secret), never in the Dockerfile; revoke this one",
                    ));
                }
            }
        }
        _ => {}
    }
}

fn token_kind(text: &str) -> Option<&'static str> {
    TOKEN_PATTERNS
        .iter()
        .find(|(re, _)| re.is_match(text))
        .map(|(_, what)| *what)
}

fn value_check(
    c: &Checked<'_>,
    kind: &str,
    key: &str,
    value: &str,
    line: usize,
    out: &mut Vec<Finding>,
) {
    let what = token_kind(value).map(str::to_string).or_else(|| {
        let upper = key.to_ascii_uppercase().replace(['-', '.'], "_");
        let sensitive = SECRET_NAME_ENDINGS
            .iter()
            .any(|e| upper == *e || upper.ends_with(&format!("_{e}")));
        (sensitive && looks_like_literal_secret(value)).then(|| "a literal credential".to_string())
    });
    if let Some(what) = what {
        out.push(c.finding(
            "FL401",
            line,
            format!("secret baked into the image: {kind} {key} holds {what}"),
            "pass credentials at run time (environment or a mounted secret file such as /run/secrets/...), never as a default in the image",
        ));
    }
}

/// A value that is an actual secret rather than a path, reference or switch.
fn looks_like_literal_secret(value: &str) -> bool {
    let v = value.trim();
    !(v.is_empty()
        || v.starts_with('/')
        || v.starts_with("./")
        || v.contains('$')
        || matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "none" | "null" | "changeme"
        ))
}

/// Names of files that hold secrets whatever their content.
fn secret_by_name(path: &str) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name {
        "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519" => Some("an SSH private key"),
        ".env" => Some("an environment file with credentials"),
        ".netrc" | ".git-credentials" => Some("stored login credentials"),
        ".pypirc" => Some("a PyPI credentials file"),
        _ if name.starts_with(".env.")
            && !matches!(
                name,
                ".env.example" | ".env.sample" | ".env.template" | ".env.dist" | ".env.defaults"
            ) =>
        {
            Some("an environment file with credentials")
        }
        _ if name.ends_with(".p12") || name.ends_with(".pfx") => Some("a PKCS#12 key store"),
        _ if path.ends_with(".aws/credentials") => Some("AWS credentials"),
        _ => None,
    }
}

/// Files whose content decides (a `.pem`/`.key` holding a private key, an `.npmrc` with a token).
fn secret_by_content(path: &str, head: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(head);
    let name = path.rsplit('/').next().unwrap_or(path);
    if (name.ends_with(".pem") || name.ends_with(".key")) && text.contains("PRIVATE KEY-----") {
        return Some("a private key");
    }
    if name == ".npmrc" && text.contains("_authToken") {
        return Some("an npm auth token");
    }
    None
}

fn files_check(c: &Checked<'_>, out: &mut Vec<Finding>) {
    let ignore = dockerignore(c.context);
    let files: Vec<String> = c
        .context
        .files()
        .into_iter()
        .filter(|f| ignore.as_ref().is_none_or(|d| !d.is_excluded(f)))
        .collect();
    for stage in &c.program.stages {
        for node in &stage.body {
            let kw = node.keyword();
            if !(kw == "copy" || kw == "add") || node.flag("from").is_some() {
                continue;
            }
            let Some((_, sources)) = node.args.split_last() else {
                continue;
            };
            let mut reported = std::collections::BTreeSet::new();
            for src in sources
                .iter()
                .filter(|s| !s.starts_with("<<") && !s.contains("://"))
            {
                for file in select(&files, src) {
                    let what = secret_by_name(file).or_else(|| {
                        c.context
                            .head(file, 64 * 1024)
                            .and_then(|h| secret_by_content(file, &h))
                    });
                    if let Some(what) = what
                        && reported.insert(file.clone())
                    {
                        out.push(c.finding(
                                "FL402",
                                node.start_line,
                                format!("secret baked into the image: {kw} {src} copies {file} ({what})", kw = kw.to_ascii_uppercase()),
                                format!("exclude {file} in .dockerignore, or keep it out of the submission context"),
                            ));
                    }
                }
            }
        }
    }
}
