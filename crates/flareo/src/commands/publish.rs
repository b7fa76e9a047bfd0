//! `flareo publish [DIR]`: lint locally with the server's rules, pack the context
//! (honouring `.dockerignore`), upload it with the recipe, print the submission id.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use flareo_build::SourceDir;
use flareo_lint::Verdict;
use serde_json::json;

use super::client::{Client, ServerArgs, block_on, print_json};
use super::human_bytes;

/// Arguments of `flareo publish`.
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// The module directory (flareo.yaml and its Dockerfile).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Image tag once published.
    #[arg(long, default_value = "latest")]
    tag: String,
    /// Ask for build-time network access (needs a reviewer's explicit approval).
    #[arg(long, requires = "reason")]
    requires_network: bool,
    /// Why the build needs the network.
    #[arg(long)]
    reason: Option<String>,
    /// Print one JSON object {"id", "status", "lint"}.
    #[arg(long)]
    json: bool,
    /// Operator config for the local lint (approved bases).
    #[arg(long, env = "FLAREO_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    server: ServerArgs,
}

/// Lints, packs and uploads.
pub fn run(args: &PublishArgs) -> anyhow::Result<ExitCode> {
    let recipe_path = args.dir.join(flareo_lint::RECIPE_FILE);
    let recipe = std::fs::read_to_string(&recipe_path).with_context(|| {
        format!(
            "reading {} (flareo publish needs a recipe)",
            recipe_path.display()
        )
    })?;
    let config = super::operator_config(args.config.as_deref())?;
    let tree = SourceDir::open(&args.dir)?;
    let report = flareo_lint::check_module(&tree, &config.lint_config());
    if report.verdict == Verdict::Reject {
        if args.json {
            print_json(
                &json!({"error": {"code": "lint_failed", "message": "lint rejected the module"}, "lint": report}),
            );
        } else {
            eprint!("{}", super::lint::render(&report, &tree));
            eprintln!(
                "flareo publish: not uploaded; fix the errors above (flareo lint {})",
                args.dir.display()
            );
        }
        return Ok(ExitCode::from(1));
    }
    if !args.json && !report.findings.is_empty() {
        eprint!("{}", super::lint::render(&report, &tree));
    }
    let entry = flareo_lint::recipe_entry(&recipe).unwrap_or_else(|| "Dockerfile".into());
    let context = flareo_build::pack::pack(&args.dir, &[flareo_lint::RECIPE_FILE, &entry])?;
    if !args.json {
        eprintln!(
            "uploading {} ({})",
            args.dir.display(),
            human_bytes(context.len() as u64)
        );
    }
    let mut form = reqwest::multipart::Form::new()
        .text("recipe", recipe)
        .text("tag", args.tag.clone())
        .part(
            "context",
            reqwest::multipart::Part::bytes(context)
                .file_name("context.tar.gz")
                .mime_str("application/gzip")?,
        );
    if args.requires_network {
        let Some(reason) = &args.reason else {
            bail!("--requires-network needs --reason \"...\"");
        };
        form = form
            .text("requires_network", "true")
            .text("reason", reason.clone());
    }
    let client = Client::new(&args.server)?;
    let answer = block_on(client.post_form("/api/v1/submissions", form, "submitting"))?;
    if args.json {
        print_json(&answer);
    } else {
        println!(
            "submitted: submission {} is {}",
            answer["id"],
            answer["status"].as_str().unwrap_or_default()
        );
        println!("follow it with: flareo status {} --follow", answer["id"]);
    }
    Ok(ExitCode::SUCCESS)
}
