//! `flareo review`: the review queue for reviewers: list, show (recipe,
//! Dockerfile with findings in place, diff), approve, reject.

use std::process::ExitCode;

use serde_json::json;

use super::client::{Client, ServerArgs, block_on, print_json, when};

/// Arguments of `flareo review`.
#[derive(Debug, clap::Args)]
pub struct ReviewArgs {
    #[command(subcommand)]
    command: ReviewCommand,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Debug, clap::Subcommand)]
enum ReviewCommand {
    /// Pending submissions, oldest first.
    List,
    /// One submission as a reviewer reads it.
    Show {
        /// Submission id.
        id: i64,
    },
    /// Approve and queue the build.
    Approve {
        /// Submission id.
        id: i64,
        /// Explicitly approve the build-time network access it asks for.
        #[arg(long)]
        network: bool,
        /// A note.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Reject with a reason.
    Reject {
        /// Submission id.
        id: i64,
        /// Why (the maintainer reads it).
        #[arg(long)]
        reason: String,
    },
}

/// Runs `flareo review`.
pub fn run(args: &ReviewArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.server)?;
    let value = block_on(async {
        match &args.command {
            ReviewCommand::List => {
                client
                    .get("/api/v1/review", "reading the review queue")
                    .await
            }
            ReviewCommand::Show { id } => {
                client
                    .get(&format!("/api/v1/review/{id}"), "reading the submission")
                    .await
            }
            ReviewCommand::Approve {
                id,
                network,
                reason,
            } => {
                client
                    .post(
                        &format!("/api/v1/submissions/{id}/approve"),
                        &json!({"approve_network": network, "reason": reason}),
                        "approving",
                    )
                    .await
            }
            ReviewCommand::Reject { id, reason } => {
                client
                    .post(
                        &format!("/api/v1/submissions/{id}/reject"),
                        &json!({"reason": reason}),
                        "rejecting",
                    )
                    .await
            }
        }
    })?;
    if args.json {
        print_json(&value);
        return Ok(ExitCode::SUCCESS);
    }
    match &args.command {
        ReviewCommand::List => {
            for s in value["pending"].as_array().into_iter().flatten() {
                println!(
                    "{:>5}  {}  {}:{}{}",
                    s["id"],
                    when(s["created_at"].as_i64().unwrap_or(0)),
                    s["slug"].as_str().unwrap_or_default(),
                    s["tag"].as_str().unwrap_or_default(),
                    if s["requires_network"].as_bool() == Some(true) {
                        "  [requires network]"
                    } else {
                        ""
                    }
                );
            }
        }
        ReviewCommand::Show { .. } => {
            let s = &value["submission"];
            println!(
                "submission {} {} ({})",
                s["id"],
                s["slug"].as_str().unwrap_or_default(),
                s["status"].as_str().unwrap_or_default()
            );
            if s["requires_network"].as_bool() == Some(true) {
                println!(
                    "asks for build-time network access: {}",
                    s["network_reason"].as_str().unwrap_or_default()
                );
            }
            println!("--- Dockerfile");
            for l in value["annotated"].as_array().into_iter().flatten() {
                println!(
                    "{:>4} | {}",
                    l["line"],
                    l["text"].as_str().unwrap_or_default()
                );
                for f in l["findings"].as_array().into_iter().flatten() {
                    println!(
                        "     ^ {}[{}]: {}",
                        f["severity"].as_str().unwrap_or_default(),
                        f["code"].as_str().unwrap_or_default(),
                        f["message"].as_str().unwrap_or_default()
                    );
                }
            }
            println!(
                "--- flareo.yaml\n{}",
                value["recipe"].as_str().unwrap_or_default()
            );
            if value["diff"].is_object() {
                println!("--- changes since submission {}", value["diff"]["against"]);
                print!(
                    "{}{}",
                    value["diff"]["recipe"].as_str().unwrap_or_default(),
                    value["diff"]["dockerfile"].as_str().unwrap_or_default()
                );
            }
        }
        ReviewCommand::Approve { .. } | ReviewCommand::Reject { .. } => {
            println!(
                "submission {} is {}",
                value["id"],
                value["status"].as_str().unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
