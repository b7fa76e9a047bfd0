//! Project chores (`cargo xtask tidy`): checks that keep the architecture's
//! invariants true. `tidy` also runs as a test, so CI enforces it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::Value;

/// Crates that must stay pure: no async runtime, database, HTTP or processes.
pub const PURE_CRATES: [&str; 6] = [
    "flareo-attest",
    "flareo-recipe",
    "flareo-dockerfile",
    "flareo-shell",
    "flareo-lint",
    "flareo-scan",
];

/// Dependencies a pure crate may never reach, directly or transitively.
pub const FORBIDDEN_IN_PURE: [&str; 9] = [
    "tokio",
    "sqlx",
    "axum",
    "hyper",
    "reqwest",
    "object_store",
    "lettre",
    "tower",
    "openssl-sys",
];

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Every violation found, one line each; empty when the tree is tidy.
pub fn tidy(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    problems.extend(pure_dependency_closure(root)?);
    problems.extend(source_rules(root)?);
    Ok(problems)
}

/// Checks the normal-dependency closure of each pure crate via `cargo metadata`.
fn pure_dependency_closure(root: &Path) -> anyhow::Result<Vec<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(root)
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let meta: Value = serde_json::from_slice(&out.stdout).context("parsing cargo metadata")?;
    let names: BTreeMap<&str, &str> = meta["packages"]
        .as_array()
        .context("metadata packages")?
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p["name"].as_str()?)))
        .collect();
    let nodes = meta["resolve"]["nodes"]
        .as_array()
        .context("metadata resolve")?;
    let deps_of = |id: &str| -> Vec<String> {
        nodes
            .iter()
            .find(|n| n["id"] == id)
            .and_then(|n| n["deps"].as_array())
            .map(|deps| {
                deps.iter()
                    .filter(|d| {
                        d["dep_kinds"]
                            .as_array()
                            .is_some_and(|k| k.iter().any(|k| k["kind"].is_null()))
                    })
                    .filter_map(|d| d["pkg"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut problems = Vec::new();
    for krate in PURE_CRATES {
        let Some((start, _)) = names.iter().find(|(_, n)| **n == krate) else {
            problems.push(format!("{krate}: not found in cargo metadata"));
            continue;
        };
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.to_string()];
        while let Some(id) = stack.pop() {
            if !seen.insert(id.clone()) {
                continue;
            }
            let name = names.get(id.as_str()).copied().unwrap_or_default();
            if FORBIDDEN_IN_PURE.contains(&name) {
                problems.push(format!(
                    "{krate}: pure crate depends on {name} (move the I/O to an edge crate)"
                ));
            }
            stack.extend(deps_of(&id));
        }
    }
    Ok(problems)
}

/// Every `.rs` file opens with `//!`; pure crates forbid unsafe and never spawn processes.
pub fn source_rules(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for dir in ["crates", "xtask"] {
        collect_rs(&root.join(dir), &mut files)?;
    }
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        let rel = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        if !text.trim_start().starts_with("//!") {
            problems.push(format!(
                "{rel}: does not open with a //! line saying what it holds"
            ));
        }
        let pure = PURE_CRATES
            .iter()
            .any(|c| rel.starts_with(&format!("crates/{c}/src/")));
        if pure && text.contains("std::process") {
            problems.push(format!("{rel}: pure crate uses std::process"));
        }
        if pure && rel.ends_with("src/lib.rs") && !text.contains("#![forbid(unsafe_code)]") {
            problems.push(format!(
                "{rel}: pure crate root lacks #![forbid(unsafe_code)]"
            ));
        }
    }
    Ok(problems)
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                collect_rs(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}
