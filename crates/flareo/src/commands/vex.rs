//! `flareo vex`: reviewers' VEX statements (OpenVEX 0.2.0) for a module: add one,
//! or show the module's document.

use std::process::ExitCode;

use serde_json::json;

use super::client::{Client, ServerArgs, block_on, print_json};

/// Arguments of `flareo vex`.
#[derive(Debug, clap::Args)]
pub struct VexArgs {
    #[command(subcommand)]
    command: VexCommand,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Debug, clap::Subcommand)]
enum VexCommand {
    /// Add a statement (reviewers); statements are appended, the latest decides.
    Add {
        /// The module.
        slug: String,
        /// The vulnerability (CVE or advisory id).
        vulnerability: String,
        /// not_affected, affected, fixed or under_investigation.
        #[arg(long)]
        status: String,
        /// For not_affected: component_not_present, vulnerable_code_not_present,
        /// vulnerable_code_not_in_execute_path,
        /// vulnerable_code_cannot_be_controlled_by_adversary,
        /// inline_mitigations_already_exist.
        #[arg(long)]
        justification: Option<String>,
        /// For not_affected: why, in words.
        #[arg(long)]
        impact: Option<String>,
        /// For affected: what users should do.
        #[arg(long)]
        action: Option<String>,
        /// The product purl [default: pkg:oci/<slug>, every build].
        #[arg(long)]
        product: Option<String>,
        /// The package the statement is about (purl).
        #[arg(long)]
        subcomponent: Option<String>,
    },
    /// Show the module's OpenVEX document.
    Show {
        /// The module.
        slug: String,
    },
}

/// Runs `flareo vex`.
pub fn run(args: &VexArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.server)?;
    let doc = match &args.command {
        VexCommand::Add {
            slug,
            vulnerability,
            status,
            justification,
            impact,
            action,
            product,
            subcomponent,
        } => {
            let body = json!({
                "vulnerability": vulnerability,
                "status": status,
                "justification": justification,
                "impact_statement": impact,
                "action_statement": action,
                "product": product,
                "subcomponent": subcomponent,
            });
            block_on(client.post(
                &format!("/api/v1/modules/{slug}/vex"),
                &body,
                "adding a VEX statement",
            ))?
        }
        VexCommand::Show { slug } => {
            block_on(client.get(&format!("/api/v1/modules/{slug}/vex"), "reading VEX"))?
        }
    };
    if args.json {
        print_json(&doc);
    } else {
        for s in doc["statements"].as_array().into_iter().flatten() {
            println!(
                "{}  {:<20} {:<20} {} {}",
                s["timestamp"].as_str().unwrap_or_default(),
                s["vulnerability"]["name"].as_str().unwrap_or_default(),
                s["status"].as_str().unwrap_or_default(),
                s["products"][0]["@id"].as_str().unwrap_or_default(),
                s["justification"].as_str().unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
