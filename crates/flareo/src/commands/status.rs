//! `flareo status ID [--follow]`: a submission's status and history; with
//! `--follow`, the build log streamed live until the status is final.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use super::client::{Client, ServerArgs, block_on, print_json, when};

/// Arguments of `flareo status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The submission id.
    id: i64,
    /// Stream the build log until the submission is published, failed or rejected.
    #[arg(long, short)]
    follow: bool,
    /// Print the submission as JSON (with --follow: once final; log lines go to stderr).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    server: ServerArgs,
}

/// Exit 0 unless the submission failed or was rejected.
fn exit_for(status: &str) -> ExitCode {
    match status {
        "failed" | "rejected" => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

fn print_human(s: &Value) {
    println!(
        "submission {} {}:{} is {}",
        s["id"],
        s["slug"].as_str().unwrap_or_default(),
        s["tag"].as_str().unwrap_or_default(),
        s["status"].as_str().unwrap_or_default()
    );
    for e in s["events"].as_array().into_iter().flatten() {
        println!(
            "  {}  {:<15} {}",
            when(e["at"].as_i64().unwrap_or(0)),
            e["status"].as_str().unwrap_or_default(),
            e["detail"].as_str().unwrap_or_default()
        );
    }
    if let Some(err) = s["error"].as_str() {
        println!("error: {err}");
    }
    if let Some(d) = s["digest"].as_str() {
        println!("digest: {d}");
    }
    if let Some(u) = s["pull_url"].as_str() {
        println!("pull: {u}");
    }
}

/// Shows (and follows) a submission.
pub fn run(args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.server)?;
    block_on(async {
        let path = format!("/api/v1/submissions/{}", args.id);
        if !args.follow {
            let s = client.get(&path, "reading the submission").await?;
            if args.json {
                print_json(&s);
            } else {
                print_human(&s);
            }
            return Ok(exit_for(s["status"].as_str().unwrap_or_default()));
        }
        let bar = (std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                    .expect("valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        let mut after = 0i64;
        loop {
            let chunk = client
                .get(
                    &format!("{path}/log?after={after}"),
                    "reading the build log",
                )
                .await?;
            for line in chunk["lines"].as_array().into_iter().flatten() {
                let line = line.as_str().unwrap_or_default();
                match &bar {
                    Some(bar) => bar.println(line),
                    None if args.json => eprintln!("{line}"),
                    None => println!("{line}"),
                }
            }
            after = chunk["next"].as_i64().unwrap_or(after);
            let status = chunk["status"].as_str().unwrap_or_default().to_string();
            if let Some(bar) = &bar {
                bar.set_message(status.clone());
            }
            if chunk["done"].as_bool().unwrap_or(false) {
                // Lines written just before the final status.
                let rest = client
                    .get(
                        &format!("{path}/log?after={after}"),
                        "reading the build log",
                    )
                    .await?;
                for line in rest["lines"].as_array().into_iter().flatten() {
                    let line = line.as_str().unwrap_or_default();
                    if args.json {
                        eprintln!("{line}")
                    } else {
                        println!("{line}")
                    }
                }
                if let Some(bar) = &bar {
                    bar.finish_and_clear();
                }
                let s = client.get(&path, "reading the submission").await?;
                if args.json {
                    print_json(&s);
                } else {
                    print_human(&s);
                }
                return Ok(exit_for(&status));
            }
            if chunk["lines"].as_array().is_none_or(|l| l.is_empty()) {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    })
}
