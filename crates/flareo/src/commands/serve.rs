//! `flareo serve` (API, web pages, mail, embedded worker) and `flareo worker`
//! (a worker alone against a shared database and blob store).

use std::path::PathBuf;
use std::process::ExitCode;

use super::client::block_on;

/// Arguments of `flareo serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Instance config (YAML); none means the embedded defaults.
    #[arg(long, env = "FLAREO_CONFIG")]
    config: Option<PathBuf>,
    /// Run only the control plane (no embedded worker).
    #[arg(long)]
    no_worker: bool,
    /// Listen address (overrides the config's `listen`), e.g. 127.0.0.1:0.
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// Print one JSON line {"listen", "admin_email", "admin_password"} on stdout
    /// when ready, and log JSON lines on stderr.
    #[arg(long)]
    json: bool,
}

/// Arguments of `flareo worker`.
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// Instance config (YAML) naming the shared database (`database:`) and blob
    /// store (`store:`).
    #[arg(long, env = "FLAREO_CONFIG")]
    config: Option<PathBuf>,
    /// Log JSON lines on stderr.
    #[arg(long)]
    json: bool,
}

/// Logs to stderr, filtered by `FLAREO_LOG` (default `info`), as text or JSON lines.
fn init_tracing(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FLAREO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Runs the server until SIGINT/SIGTERM.
pub fn serve(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    init_tracing(args.json);
    let mut config = super::load_config(args.config.as_deref())?;
    if let Some(listen) = args.listen {
        config.server.listen = listen;
    }
    let json = args.json;
    let options = flareo_server::ServeOptions {
        worker: !args.no_worker,
    };
    block_on(flareo_server::serve(config, options, move |addr, admin| {
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "listen": addr.to_string(),
                    "admin_email": admin.as_ref().map(|a| &a.0),
                    "admin_password": admin.as_ref().map(|a| &a.1),
                })
            );
        } else {
            println!("flareo: serving on http://{addr}/");
            if let Some((email, password)) = admin {
                println!(
                    "flareo: created administrator {email} with password {password}\n\
                     flareo: this password is shown only once; log in with `flareo login --email {email}`"
                );
            }
        }
    }))?;
    Ok(ExitCode::SUCCESS)
}

/// Runs a worker until SIGINT/SIGTERM.
pub fn worker(args: &WorkerArgs) -> anyhow::Result<ExitCode> {
    init_tracing(args.json);
    let config = super::load_config(args.config.as_deref())?;
    block_on(flareo_server::app::worker(config))?;
    Ok(ExitCode::SUCCESS)
}
