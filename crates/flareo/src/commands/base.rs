//! `flareo base import NAME:TAG FILE` and `flareo base list`: the base-image cache.

use std::path::PathBuf;

use anyhow::Context;
use flareo_build::{BaseCache, CachedBase, Engine};

use super::{StateArgs, human_bytes};

/// `flareo base ...`.
#[derive(Debug, clap::Args)]
pub struct BaseArgs {
    #[command(subcommand)]
    command: BaseCommand,
    #[command(flatten)]
    state: StateArgs,
}

#[derive(Debug, clap::Subcommand)]
enum BaseCommand {
    /// Import an image (OCI archive, OCI layout directory or docker archive) as NAME:TAG.
    Import {
        /// The name Dockerfiles use, e.g. debian:12-slim.
        reference: String,
        /// The image file or directory.
        file: PathBuf,
        /// Print the cached entry as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List cached base images: name, tag, digest, size, import time.
    List {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `flareo base`.
pub fn run(args: &BaseArgs) -> anyhow::Result<std::process::ExitCode> {
    let (_, data_dir) = args.state.load()?;
    let engine = Engine::open(&data_dir)?;
    let cache = BaseCache::new(&engine);
    match &args.command {
        BaseCommand::Import {
            reference,
            file,
            json,
        } => {
            let base = cache
                .import(reference, file)
                .with_context(|| format!("importing {} as {reference}", file.display()))?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&base)?);
            } else {
                println!(
                    "imported {} {} ({})",
                    base.reference(),
                    base.digest,
                    human_bytes(base.size)
                );
            }
        }
        BaseCommand::List { json } => {
            let bases = cache.list()?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&bases)?);
            } else {
                print!("{}", table(&bases));
            }
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

fn table(bases: &[CachedBase]) -> String {
    let mut out = format!(
        "{:<24} {:<12} {:<71} {:>9}  {}\n",
        "NAME", "TAG", "DIGEST", "SIZE", "IMPORTED"
    );
    for b in bases {
        out.push_str(&format!(
            "{:<24} {:<12} {:<71} {:>9}  {}\n",
            b.name,
            b.tag,
            b.digest,
            human_bytes(b.size),
            iso8601(b.imported_at)
        ));
    }
    out
}

/// UTC `YYYY-MM-DDTHH:MM:SSZ` from Unix seconds (civil-from-days, Howard Hinnant).
fn iso8601(secs: u64) -> String {
    let (y, m, d, hh, mm, ss) = super::civil(secs as i64);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso8601_known_dates() {
        assert_eq!(super::iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::iso8601(1_795_000_000), "2026-11-18T11:06:40Z");
    }
}
