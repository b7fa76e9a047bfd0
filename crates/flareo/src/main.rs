//! The `flareo` command: one binary for every role: the server (`serve`,
//! `worker`), local tools (`lint`, `build`, `base`) and the server's clients
//! (`login`, `publish`, `status`, `review`, `modules`, `users`).

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Flareo: self-hostable container modules, rebuilt from source, scanned, signed.
#[derive(Debug, Parser)]
#[command(name = "flareo", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a module before submitting: recipe, build path and Dockerfile rules,
    /// with the same words the build worker uses.
    Lint(commands::lint::LintArgs),
    /// Build a module (directory or submission tarball) into an OCI image with
    /// buildah under the build limits, streaming the log.
    Build(commands::build::BuildArgs),
    /// The base-image cache: import images and list what builds may start from.
    Base(commands::base::BaseArgs),
    /// Run the server: API, web pages, mail and an embedded worker.
    Serve(commands::serve::ServeArgs),
    /// Run a build worker alone against a shared database and blob store.
    Worker(commands::serve::WorkerArgs),
    /// Get an API token with e-mail and password, saved for later commands.
    Login(commands::users::LoginArgs),
    /// Submit a module: lint, pack the context, upload, print the submission id.
    Publish(commands::publish::PublishArgs),
    /// Show a submission's status; --follow streams its build log.
    Status(commands::status::StatusArgs),
    /// The review queue: list, show, approve, reject.
    Review(commands::review::ReviewArgs),
    /// The catalog: list modules or show one.
    Modules(commands::modules::ModulesArgs),
    /// Users (administrators): add, list.
    Users(commands::users::UsersArgs),
    /// VEX statements (reviewers): add one, show a module's OpenVEX document.
    Vex(commands::vex::VexArgs),
    /// The OSV advisory database: import a directory or zip, show its status.
    Advisories(commands::advisories::AdvisoriesArgs),
    /// Export the instance's trust root (Sigstore client trust config) for verifiers.
    TrustRoot(commands::trust_root::TrustRootArgs),
    /// Verify a published image offline: blobs, signature, certificate identity,
    /// transparency-log inclusion, provenance and SBOM attestation.
    Verify(commands::verify::VerifyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Lint(args) => commands::lint::run(&args),
        Command::Build(args) => commands::build::run(&args),
        Command::Base(args) => commands::base::run(&args),
        Command::Serve(args) => commands::serve::serve(&args),
        Command::Worker(args) => commands::serve::worker(&args),
        Command::Login(args) => commands::users::login(&args),
        Command::Publish(args) => commands::publish::run(&args),
        Command::Status(args) => commands::status::run(&args),
        Command::Review(args) => commands::review::run(&args),
        Command::Modules(args) => commands::modules::run(&args),
        Command::Users(args) => commands::users::run(&args),
        Command::Vex(args) => commands::vex::run(&args),
        Command::Advisories(args) => commands::advisories::run(&args),
        Command::TrustRoot(args) => commands::trust_root::run(&args),
        Command::Verify(args) => commands::verify::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("flareo: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
