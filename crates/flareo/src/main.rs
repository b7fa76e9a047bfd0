//! The `flareo` command: one binary for every role. This commands: `lint`.

mod commands;
mod source_dir;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Lint(args) => commands::lint::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("flareo: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
