//! `flareo advisories import PATH` and `flareo advisories status`: the instance's
//! OSV advisory database, read and written in its database directly (as `flareo
//! serve` opens it), so every worker sharing that database sees the import.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use flareo_server::Db;
use flareo_server::advisories::{AdvisoryStatus, ImportReport, read_source};
use indicatif::{ProgressBar, ProgressStyle};

use super::client::block_on;

/// Below this many documents an import is quick enough to need no progress bar.
const PROGRESS_FROM: usize = 1000;

/// `flareo advisories ...`.
#[derive(Debug, clap::Args)]
pub struct AdvisoriesArgs {
    #[command(subcommand)]
    command: AdvisoriesCommand,
    /// Instance config (YAML) naming the database (`database:`); none means the
    /// embedded defaults.
    #[arg(long, env = "FLAREO_CONFIG", global = true)]
    config: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
enum AdvisoriesCommand {
    /// Import OSV advisories from a directory of JSON files or a zip (osv.dev's
    /// per-ecosystem all.zip): new ones are added, newer ones replace the stored
    /// ones, the rest are left alone. Exits 1 when a file is not valid OSV.
    Import {
        /// The directory, .zip or .json file.
        path: PathBuf,
        /// Print the import report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show how many advisories are stored per ecosystem and the last import.
    Status {
        /// Print the status as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `flareo advisories`.
pub fn run(args: &AdvisoriesArgs) -> anyhow::Result<ExitCode> {
    let config = super::load_config(args.config.as_deref())?;
    // As `flareo serve` does: the default SQLite file lives in the data directory.
    let data = config.data_dir();
    std::fs::create_dir_all(&data)
        .with_context(|| format!("creating data directory {}", data.display()))?;
    match &args.command {
        AdvisoriesCommand::Import { path, json } => import(&config.database_url(), path, *json),
        AdvisoriesCommand::Status { json } => {
            let status = block_on(async {
                let db = Db::open(&config.database_url()).await?;
                db.advisory_status().await
            })?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print!("{}", status_text(&status));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn import(url: &str, path: &std::path::Path, json: bool) -> anyhow::Result<ExitCode> {
    let docs =
        read_source(path).with_context(|| format!("reading advisories from {}", path.display()))?;
    let source = std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string();
    let bar = (docs.len() >= PROGRESS_FROM && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(docs.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} advisories [{elapsed_precise}]")
                .expect("valid template"),
        );
        bar
    });
    let progress = {
        let bar = bar.clone();
        move |done: usize| {
            if let Some(bar) = &bar {
                bar.set_position(done as u64);
            }
        }
    };
    let report = block_on(async {
        let db = Db::open(url).await?;
        db.import_advisories_with_progress(&source, docs, progress)
            .await
    })
    .with_context(|| format!("importing advisories from {}", path.display()));
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = report?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report_text(&source, &report));
    }
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn counts(report: &ImportReport) -> String {
    format!(
        "{} added, {} updated, {} unchanged, {} failed",
        report.added,
        report.updated,
        report.unchanged,
        report.failed.len()
    )
}

fn report_text(source: &str, report: &ImportReport) -> String {
    let mut out = format!("imported {source}: {}\n", counts(report));
    for (name, reason) in &report.failed {
        out.push_str(&format!("failed: {name}: {reason}\n"));
    }
    out
}

fn status_text(status: &AdvisoryStatus) -> String {
    let mut out = format!(
        "{} advisories ({} withdrawn), latest modified {}\n",
        status.advisories,
        status.withdrawn,
        status.latest_modified.as_deref().unwrap_or("-")
    );
    if !status.ecosystems.is_empty() {
        out.push_str(&format!(
            "{:<16} {:>10} {:>10}\n",
            "ECOSYSTEM", "ADVISORIES", "WITHDRAWN"
        ));
        for e in &status.ecosystems {
            out.push_str(&format!(
                "{:<16} {:>10} {:>10}\n",
                e.ecosystem, e.advisories, e.withdrawn
            ));
        }
    }
    match &status.last_import {
        Some(last) => {
            let (y, m, d, hh, mm, ss) = super::civil(last.at_ms.div_euclid(1000));
            out.push_str(&format!(
                "last import {y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z from {}: {}\n",
                last.source,
                counts(&last.report)
            ));
        }
        None => out.push_str("no import yet: run `flareo advisories import PATH`\n"),
    }
    out
}
