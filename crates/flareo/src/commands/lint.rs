//! `flareo lint [DIR]`: human output like a compiler's, or one JSON object.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use flareo_dockerfile::rules::{ApprovedBase, Finding, LintConfig, Severity};
use flareo_lint::{Report, SourceTree, Verdict};
use serde::Deserialize;

use crate::source_dir::SourceDir;

/// Arguments of `flareo lint`.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// The module directory (holding flareo.yaml and/or a Dockerfile).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Print exactly one JSON object: {"verdict", "build_path", "findings"}.
    #[arg(long)]
    json: bool,
    /// Operator config (YAML) adding approved base images:
    /// `approved_bases: [{image: "node:20-slim", digest: "sha256:..."}]`.
    #[arg(long, env = "FLAREO_CONFIG")]
    config: Option<PathBuf>,
}

/// The part of the operator config that lint reads.
#[derive(Debug, Default, Deserialize)]
struct OperatorConfig {
    #[serde(default)]
    approved_bases: Vec<ApprovedBase>,
}

/// Runs the lint; exit 0 when nothing rejects, 1 when something does.
pub fn run(args: &LintArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(args.config.as_deref())?;
    let tree = SourceDir::open(&args.dir)?;
    let report = flareo_lint::check_module(&tree, &config);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).context("serialising the report")?
        );
    } else {
        print!("{}", render(&report, &tree));
    }
    Ok(match report.verdict {
        Verdict::Accept => ExitCode::SUCCESS,
        Verdict::Reject => ExitCode::from(1),
    })
}

fn load_config(path: Option<&Path>) -> anyhow::Result<LintConfig> {
    let Some(path) = path else {
        return Ok(LintConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config {}", path.display()))?;
    let parsed: OperatorConfig = serde_saphyr::from_str(&text)
        .with_context(|| format!("parsing config {}", path.display()))?;
    Ok(LintConfig::default().with_additions(parsed.approved_bases))
}

/// The human report: one block per finding, then a summary line.
fn render(report: &Report, tree: &dyn SourceTree) -> String {
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&render_finding(f, tree));
        out.push('\n');
    }
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let verdict = match report.verdict {
        Verdict::Accept => "accept",
        Verdict::Reject => "reject",
    };
    let path = report.build_path.as_deref().unwrap_or("none");
    out.push_str(&format!(
        "{verdict}: {errors} error{}, {warnings} warning{} (build path: {path})\n",
        plural(errors),
        plural(warnings)
    ));
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn render_finding(f: &Finding, tree: &dyn SourceTree) -> String {
    let level = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut out = format!("{level}[{}]: {}\n", f.code, f.message);
    if f.line == 0 {
        out.push_str(&format!("  --> {}\n", f.file));
    } else {
        out.push_str(&format!("  --> {}:{}\n", f.file, f.line));
        if let Some(source) = source_line(tree, &f.file, f.line) {
            let width = f.line.to_string().len();
            out.push_str(&format!(
                "{:width$} |\n{} | {}\n{:width$} |\n",
                "", f.line, source, ""
            ));
        }
    }
    if !f.hint.is_empty() {
        out.push_str(&format!("  = hint: {}\n", f.hint));
    }
    out
}

fn source_line(tree: &dyn SourceTree, file: &str, line: usize) -> Option<String> {
    let bytes = tree.read(file, 1024 * 1024)?;
    let text = String::from_utf8_lossy(&bytes);
    text.lines().nth(line - 1).map(|l| l.trim_end().to_string())
}
