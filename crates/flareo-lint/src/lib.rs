//! Module lint: everything the build worker would reject about a module, before it
//! is submitted — the recipe, the build path, and the Dockerfile rules — as one
//! [`Report`]. Pure: the source tree is read through [`SourceTree`].
#![forbid(unsafe_code)]

use flareo_dockerfile::rules::{BuildContext, Finding, LintConfig, Severity};
use serde::Serialize;

/// The recipe's file name at the module root.
pub const RECIPE_FILE: &str = "flareo.yaml";

/// Largest recipe or Dockerfile read, in bytes.
const MAX_TEXT_FILE: usize = 1024 * 1024;

/// A module's source tree: the build context plus whole-file reads.
pub trait SourceTree: BuildContext {
    /// The whole file, up to `limit` bytes (`None` when absent).
    fn read(&self, path: &str, limit: usize) -> Option<Vec<u8>> {
        self.head(path, limit)
    }
}

impl SourceTree for flareo_dockerfile::rules::MemoryContext {}

/// Accept or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Nothing rejects (warnings allowed).
    Accept,
    /// At least one error.
    Reject,
}

/// The result of linting a module, as `flareo lint --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// `reject` when any finding is an error.
    pub verdict: Verdict,
    /// `dockerfile`, `buildpack:<name>`, or `None` when neither was found.
    pub build_path: Option<String>,
    /// Every finding, recipe first, then by file and line.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Number of findings with the given severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// Lints a module: its `flareo.yaml` when present (and the Dockerfile its `entry`
/// names), else `Dockerfile` at the root; else the buildpack table.
pub fn check_module(tree: &dyn SourceTree, config: &LintConfig) -> Report {
    let files = tree.files();
    let mut findings = Vec::new();
    let mut entry = "Dockerfile".to_string();

    if files.iter().any(|f| f == RECIPE_FILE) {
        let text = tree.read(RECIPE_FILE, MAX_TEXT_FILE).unwrap_or_default();
        match flareo_recipe::parse(&String::from_utf8_lossy(&text)) {
            Ok(recipe) => entry = recipe.upstream.entry.as_str().to_string(),
            Err(errors) => findings.extend(errors.0.into_iter().map(|p| Finding {
                code: p.code,
                severity: Severity::Error,
                file: RECIPE_FILE.to_string(),
                line: p.line.unwrap_or(0),
                message: p.message,
                hint: p.hint.unwrap_or_default(),
            })),
        }
    }

    let build_path = match flareo_dockerfile::detect(&files, &entry) {
        Ok(path) => Some(path),
        Err(e) => {
            findings.push(Finding::new(
                "FL701",
                &entry,
                0,
                e.to_string(),
                "add a Dockerfile at the recipe's upstream.entry, or one of the buildpack signal files",
            ));
            None
        }
    };

    if let Some(flareo_dockerfile::BuildPath::Dockerfile { path }) = &build_path {
        let bytes = tree.read(path, MAX_TEXT_FILE + 1).unwrap_or_default();
        findings.extend(lint_dockerfile(&bytes, path, tree, config));
    }

    let verdict = if findings.iter().any(|f| f.severity == Severity::Error) {
        Verdict::Reject
    } else {
        Verdict::Accept
    };
    Report {
        verdict,
        build_path: build_path.map(|p| p.label()),
        findings,
    }
}

/// The Dockerfile path a valid recipe names (`upstream.entry`), if it is valid.
pub fn recipe_entry(text: &str) -> Option<String> {
    flareo_recipe::parse(text)
        .ok()
        .map(|r| r.upstream.entry.as_str().to_string())
}

/// Parses, checks and lints one Dockerfile; a syntax problem is one `FL001` finding.
pub fn lint_dockerfile(
    bytes: &[u8],
    file: &str,
    context: &dyn BuildContext,
    config: &LintConfig,
) -> Vec<Finding> {
    let parse_error = |e: flareo_dockerfile::ParseError| {
        vec![Finding::new(
            "FL001",
            file,
            e.line,
            e.to_string(),
            "fix the syntax; `docker build .` reports the same problem locally",
        )]
    };
    let parsed = match flareo_dockerfile::parse_bytes(bytes) {
        Ok(p) => p,
        Err(e) => return parse_error(e),
    };
    match flareo_dockerfile::check(&parsed) {
        Ok(program) => flareo_dockerfile::lint(&program, context, config, file),
        Err(e) => parse_error(e),
    }
}
