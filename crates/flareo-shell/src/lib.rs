//! Static analysis of sh/bash scripts for the Dockerfile linter: the simple commands
//! a script runs, and which of them reach the network.
//!
//! Hand-written rather than built on a full bash parser crate: we need a small,
//! total (never panicking, best-effort on bad input) view — command words, lines,
//! substitutions — not an executable AST, and the well-known parser crates pull in
//! far more (async, readline-era features) than a pure linter crate should carry.
#![forbid(unsafe_code)]

mod commands;
mod lex;
mod network;

pub use commands::{Analysis, SimpleCommand, commands};
pub use lex::Word;
pub use network::{NetworkCall, NetworkKind, NetworkUse, network_calls, network_use};
