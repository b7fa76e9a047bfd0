//! `flareo build [DIR]`: lint, build with buildah under the limits, stream the log
//! with a progress display, print digest and size (or one JSON object).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use flareo_build::{BuildError, BuildRequest, Engine, LogSink, Source};
use flareo_oci::BlobStore;
use indicatif::{ProgressBar, ProgressStyle};

use super::{StateArgs, human_bytes};

/// Arguments of `flareo build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The module directory, or a submission tarball (.tar / .tar.gz).
    #[arg(default_value = ".")]
    source: PathBuf,
    /// Also write the image as an OCI layout at PATH (for `skopeo inspect oci:PATH`).
    #[arg(long, value_name = "PATH")]
    oci_layout: Option<PathBuf>,
    /// Print exactly one JSON object: {"digest", "size", "layers", "duration_s"}.
    #[arg(long)]
    json: bool,
    /// Seconds since the epoch stamped on the image (default: $SOURCE_DATE_EPOCH, else 0).
    #[arg(long, env = "SOURCE_DATE_EPOCH")]
    source_date_epoch: Option<u64>,
    #[command(flatten)]
    state: StateArgs,
}

/// Runs the build; exit 0 on success, 1 when the build (or lint) fails.
pub fn run(args: &BuildArgs) -> anyhow::Result<ExitCode> {
    let (config, data_dir) = args.state.load()?;
    let engine = Arc::new(Engine::open(&data_dir)?);
    let store = BlobStore::local(&data_dir.join("blobs"))?;
    let source = if args.source.is_dir() {
        Source::Dir(args.source.clone())
    } else if args.source.is_file() {
        Source::Archive(args.source.clone())
    } else {
        anyhow::bail!(
            "{} is neither a module directory nor a tarball",
            args.source.display()
        );
    };
    let request = BuildRequest {
        source,
        source_date_epoch: args.source_date_epoch.unwrap_or(0),
    };

    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                .expect("valid template"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar.set_message("starting");
        Some(bar)
    } else {
        None
    };
    let sink: LogSink = {
        let bar = progress.clone();
        Arc::new(move |line: &str| match &bar {
            Some(bar) => {
                if let Some(step) = line.split("STEP ").nth(1) {
                    bar.set_message(format!(
                        "STEP {}",
                        step.chars().take(70).collect::<String>()
                    ));
                }
                bar.println(line);
            }
            None => eprintln!("{line}"),
        })
    };

    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let result = runtime.block_on(flareo_build::build(engine, &store, &config, request, sink));
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let output = match result {
        Ok(o) => o,
        Err(BuildError::Lint(report)) => {
            eprint!("{}", super::lint::render_plain(&report));
            eprintln!("flareo: build rejected by lint: nothing was built");
            return Ok(ExitCode::from(1));
        }
        Err(e @ (BuildError::SourceDir(_) | BuildError::Engine(_) | BuildError::Io(..))) => {
            return Err(e.into());
        }
        Err(e) => {
            if args.json {
                println!("{}", serde_json::json!({ "error": e.to_string() }));
            }
            eprintln!("flareo: build failed: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    if let Some(path) = &args.oci_layout {
        runtime
            .block_on(flareo_oci::export_layout(
                &store,
                &output.image.digest,
                path,
                "latest",
            ))
            .with_context(|| format!("writing OCI layout {}", path.display()))?;
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "digest": output.image.digest,
                "size": output.image.size,
                "layers": output.image.layers,
                "duration_s": output.duration_s,
                "log_digest": output.log_digest,
            }))?
        );
    } else {
        println!("digest: {}", output.image.digest);
        println!(
            "size:   {} ({} bytes, {} layers)",
            human_bytes(output.image.size),
            output.image.size,
            output.image.layers.len()
        );
        if let Some(path) = &args.oci_layout {
            println!("oci layout: {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
