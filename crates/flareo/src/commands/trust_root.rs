//! `flareo trust-root`: the instance's trust material as a Sigstore client trust
//! config (or bare trusted root), read from the data directory or fetched from a
//! server, for `flareo verify --trust-root` and `sigstore --trust-config`.

use std::process::ExitCode;

use anyhow::Context;

use super::StateArgs;
use super::client::{Client, ServerArgs, block_on};

/// Arguments of `flareo trust-root`.
#[derive(Debug, clap::Args)]
pub struct TrustRootArgs {
    /// Fetch it from the server (`--server`) instead of the local data directory.
    #[arg(long)]
    remote: bool,
    /// Write only the `TrustedRoot` (not the `ClientTrustConfig` around it).
    #[arg(long)]
    bare: bool,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    output: Option<std::path::PathBuf>,
    #[command(flatten)]
    state: StateArgs,
    #[command(flatten)]
    server: ServerArgs,
}

/// Runs `flareo trust-root`.
pub fn run(args: &TrustRootArgs) -> anyhow::Result<ExitCode> {
    let config_doc = if args.remote {
        let client = Client::new(&args.server)?;
        block_on(client.get("/api/v1/trust-root", "fetching the trust root"))?
    } else {
        let mut config = super::load_config(args.state.config.as_deref())?;
        if let Some(d) = &args.state.data_dir {
            config.operator.data_dir = Some(d.clone());
        }
        let dir = flareo_server::signing::material_dir(&config);
        let material = flareo_server::signing::Material::open(&dir, &config.registry_host())
            .with_context(|| format!("reading the signing material in {}", dir.display()))?;
        flareo_server::signing::trust_root(&config, &material)?
    };
    let doc = if args.bare {
        config_doc["trustedRoot"].clone()
    } else {
        config_doc
    };
    let text = serde_json::to_string_pretty(&doc)? + "\n";
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
