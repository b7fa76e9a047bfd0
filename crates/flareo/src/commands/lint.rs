//! `flareo lint [DIR]`: human output like a compiler's, or one JSON object.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use flareo_build::SourceDir;
use flareo_dockerfile::rules::{Finding, Severity};
use flareo_lint::{Report, SourceTree, Verdict};

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

/// Runs the lint; exit 0 when nothing rejects, 1 when something does.
pub fn run(args: &LintArgs) -> anyhow::Result<ExitCode> {
    let config = super::operator_config(args.config.as_deref())?.lint_config();
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

/// The human report: one block per finding, then a summary line.
pub fn render(report: &Report, tree: &dyn SourceTree) -> String {
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

/// The report without source excerpts (for callers without the tree at hand).
pub fn render_plain(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&format!(
            "{}[{}]: {}\n  --> {}:{}\n",
            f.severity.as_str(),
            f.code,
            f.message,
            f.file,
            f.line
        ));
        if !f.hint.is_empty() {
            out.push_str(&format!("  = hint: {}\n", f.hint));
        }
    }
    out
}
