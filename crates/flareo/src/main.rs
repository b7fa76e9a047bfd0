//! The `flareo` command: one binary for every role: `lint`, `build`, `base`.

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Lint(args) => commands::lint::run(&args),
        Command::Build(args) => commands::build::run(&args),
        Command::Base(args) => commands::base::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("flareo: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
