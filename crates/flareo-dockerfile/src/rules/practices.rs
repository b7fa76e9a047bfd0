//! The seed's good practices, reported as warnings: a non-root `USER`, digest-pinned
//! bases, OCI labels, a `HEALTHCHECK`, and a `.dockerignore` that keeps `.git` out.

use super::context::dockerignore;
use super::{Checked, Finding};
use crate::image_ref::ImageRef;
use crate::instructions::Base;

/// The OCI labels the seed asks for.
pub const OCI_LABELS: [&str; 3] = [
    "org.opencontainers.image.source",
    "org.opencontainers.image.licenses",
    "org.opencontainers.image.description",
];

pub(crate) fn check(c: &Checked<'_>, out: &mut Vec<Finding>) {
    root_user(c, out);
    digest_pins(c, out);
    labels(c, out);
    healthcheck(c, out);
    copy_dot(c, out);
}

/// Instructions of the final image, oldest first (base stages before the final one).
fn final_chain<'a>(c: &'a Checked<'_>) -> Vec<&'a crate::ast::Node> {
    let chain = c.program.ancestry(c.program.final_stage().index);
    chain
        .iter()
        .rev()
        .flat_map(|s| s.body.iter().copied())
        .collect()
}

fn root_user(c: &Checked<'_>, out: &mut Vec<Finding>) {
    let last_user = final_chain(c)
        .into_iter()
        .rev()
        .find(|n| n.keyword() == "user");
    let final_line = c.program.final_stage().from.start_line;
    let (line, why) = match last_user {
        Some(n) => {
            let user = n.args.first().map(String::as_str).unwrap_or_default();
            let name = user.split(':').next().unwrap_or_default();
            if name != "root" && name != "0" {
                return;
            }
            (n.start_line, format!("USER {user}"))
        }
        None => {
            let root = c
                .program
                .ancestry(c.program.final_stage().index)
                .last()
                .map(|s| s.base.clone());
            if let Some(cfg) = root.as_ref().and_then(|b| c.base_config(b)) {
                let name = cfg.user.split(':').next().unwrap_or_default();
                if !name.is_empty() && name != "root" && name != "0" {
                    return;
                }
            }
            (final_line, "no USER instruction".to_string())
        }
    };
    out.push(c.finding(
        "FL501",
        line,
        format!("final stage runs as root: {why}"),
        "drop privileges before ENTRYPOINT: USER app (create the user in the image, e.g. adduser -D -u 1000 app)",
    ));
}

fn digest_pins(c: &Checked<'_>, out: &mut Vec<Finding>) {
    for stage in &c.program.stages {
        let Base::Image {
            resolved,
            unresolved,
            ..
        } = &stage.base
        else {
            continue;
        };
        if !unresolved.is_empty() {
            continue;
        }
        let Ok(reference) = ImageRef::parse(resolved) else {
            continue;
        };
        if reference.digest.is_some() {
            continue;
        }
        let pin = c
            .config
            .approved(&reference)
            .and_then(|b| b.digest.clone())
            .unwrap_or_else(|| "sha256:<digest>".to_string());
        out.push(c.finding(
            "FL502",
            stage.from.start_line,
            format!("base image not pinned by digest: {}", reference.familiar()),
            format!(
                "pin it: FROM {}@{pin} (tags can silently change; digests cannot)",
                reference.familiar()
            ),
        ));
    }
}

fn labels(c: &Checked<'_>, out: &mut Vec<Finding>) {
    let chain = final_chain(c);
    let present: Vec<&String> = chain
        .iter()
        .filter(|n| n.keyword() == "label")
        .flat_map(|n| n.args.chunks(3).map(|t| &t[0]))
        .collect();
    let base_labels = c
        .program
        .ancestry(c.program.final_stage().index)
        .last()
        .and_then(|s| c.base_config(&s.base))
        .map(|cfg| cfg.labels.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    let missing: Vec<&str> = OCI_LABELS
        .iter()
        .copied()
        .filter(|l| {
            !present.iter().any(|p| p.trim_matches('"') == *l)
                && !base_labels.iter().any(|b| b == l)
        })
        .collect();
    if missing.is_empty() {
        return;
    }
    out.push(c.finding(
        "FL503",
        c.program.final_stage().from.start_line,
        format!("missing OCI labels: {}", missing.join(", ")),
        format!(
            "add LABEL {}=\"...\" so users know where to look for source",
            missing[0]
        ),
    ));
}

fn healthcheck(c: &Checked<'_>, out: &mut Vec<Finding>) {
    let last = final_chain(c)
        .into_iter()
        .rev()
        .find(|n| n.keyword() == "healthcheck");
    let has = match last {
        Some(n) => n
            .args
            .first()
            .is_some_and(|t| t.eq_ignore_ascii_case("cmd")),
        None => c
            .program
            .ancestry(c.program.final_stage().index)
            .last()
            .and_then(|s| c.base_config(&s.base))
            .is_some_and(|cfg| cfg.healthcheck),
    };
    if !has {
        out.push(c.finding(
            "FL504",
            last.map_or(c.program.final_stage().from.start_line, |n| n.start_line),
            "no HEALTHCHECK: orchestrators cannot tell when the service is ready",
            "add HEALTHCHECK --interval=30s --timeout=10s CMD <a check that exercises the real code path>",
        ));
    }
}

fn copy_dot(c: &Checked<'_>, out: &mut Vec<Finding>) {
    let ignore = dockerignore(c.context);
    if ignore.as_ref().is_some_and(|d| d.is_excluded(".git")) {
        return;
    }
    for stage in &c.program.stages {
        for node in &stage.body {
            let kw = node.keyword();
            if !(kw == "copy" || kw == "add") || node.flag("from").is_some() {
                continue;
            }
            let Some((_, sources)) = node.args.split_last() else {
                continue;
            };
            if sources.iter().any(|s| matches!(s.as_str(), "." | "./")) {
                let why = if ignore.is_some() {
                    ".dockerignore does not exclude .git"
                } else {
                    "there is no .dockerignore"
                };
                out.push(c.finding(
                    "FL505",
                    node.start_line,
                    format!("{kw} . copies the whole context and {why}", kw = kw.to_ascii_uppercase()),
                    "add a .dockerignore that excludes .git, node_modules/.cache and development config, or copy narrower paths",
                ));
            }
        }
    }
}
