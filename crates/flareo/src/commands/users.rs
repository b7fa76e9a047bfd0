//! `flareo login` (get an API token with e-mail and password, saved for later
//! commands) and `flareo users add|list` (administrators).

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;

use super::client::{Client, Credentials, ServerArgs, block_on, print_json};

/// Arguments of `flareo login`.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// Login e-mail.
    #[arg(long)]
    email: String,
    /// Read the password from standard input (else $FLAREO_PASSWORD).
    #[arg(long)]
    password_stdin: bool,
    /// A name for the token.
    #[arg(long, default_value = "cli")]
    name: String,
    /// Print the token as JSON instead of saving it.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    server: ServerArgs,
}

fn password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        return Ok(s.trim_end_matches(['\n', '\r']).to_string());
    }
    std::env::var("FLAREO_PASSWORD")
        .context("give the password on stdin (--password-stdin) or in FLAREO_PASSWORD")
}

/// Logs in and saves the token.
pub fn login(args: &LoginArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.server)?;
    let password = password(args.password_stdin)?;
    let body = json!({"name": args.name, "email": args.email, "password": password});
    let answer = block_on(client.post("/api/v1/tokens", &body, "logging in"))?;
    if args.json {
        print_json(&answer);
    } else {
        let path = super::client::save(&Credentials {
            server: client.base.clone(),
            token: answer["token"].as_str().unwrap_or_default().to_string(),
        })?;
        println!(
            "logged in to {} as {} ({}); token saved in {}",
            client.base,
            answer["user"]["email"].as_str().unwrap_or_default(),
            answer["user"]["role"].as_str().unwrap_or_default(),
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `flareo users`.
#[derive(Debug, clap::Args)]
pub struct UsersArgs {
    #[command(subcommand)]
    command: UsersCommand,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Debug, clap::Subcommand)]
enum UsersCommand {
    /// Create a user (administrators); the password comes from stdin or $FLAREO_PASSWORD.
    Add {
        /// E-mail (login name).
        email: String,
        /// maintainer, reviewer or admin.
        #[arg(long)]
        role: String,
        /// Display name [default: the e-mail].
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users (administrators).
    List,
}

/// Runs `flareo users`.
pub fn run(args: &UsersArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.server)?;
    match &args.command {
        UsersCommand::Add {
            email,
            role,
            name,
            password_stdin,
        } => {
            let body = json!({
                "email": email,
                "name": name.clone().unwrap_or_else(|| email.clone()),
                "role": role,
                "password": password(*password_stdin)?,
            });
            let user = block_on(client.post("/api/v1/users", &body, "creating a user"))?;
            if args.json {
                print_json(&user);
            } else {
                println!(
                    "created user {} ({}), id {}",
                    user["email"].as_str().unwrap_or_default(),
                    user["role"].as_str().unwrap_or_default(),
                    user["id"]
                );
            }
        }
        UsersCommand::List => {
            let list = block_on(client.get("/api/v1/users", "listing users"))?;
            if args.json {
                print_json(&list);
            } else {
                for u in list["users"].as_array().into_iter().flatten() {
                    println!(
                        "{:>4}  {:<10} {}",
                        u["id"],
                        u["role"].as_str().unwrap_or_default(),
                        u["email"].as_str().unwrap_or_default()
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
