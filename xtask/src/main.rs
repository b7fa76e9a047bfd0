//! `cargo xtask <chore>`: `tidy` checks the architecture invariants.

use std::process::ExitCode;

fn main() -> anyhow::Result<ExitCode> {
    let task = std::env::args().nth(1).unwrap_or_default();
    match task.as_str() {
        "tidy" => {
            let problems = xtask::tidy(&xtask::workspace_root())?;
            for p in &problems {
                println!("{p}");
            }
            println!("tidy: {} problem(s)", problems.len());
            Ok(if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        _ => {
            eprintln!("usage: cargo xtask tidy");
            Ok(ExitCode::from(2))
        }
    }
}
