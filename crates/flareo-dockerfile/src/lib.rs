//! Flareo's Dockerfile front end: a BuildKit-grade parser with line numbers, the
//! BuildKit AST dump, instruction checks, and the submission lint rules. Pure:
//! no I/O beyond the bytes and file lists it is given.
#![forbid(unsafe_code)]

pub mod ast;
pub mod dump;
mod error;
pub mod parser;

pub use ast::{Directive, Dockerfile, Heredoc, Node, ParseWarning};
pub use dump::dump;
pub use error::ParseError;
pub use parser::{parse, parse_bytes};
pub mod expand;
pub mod instructions;

pub use instructions::{Base, Program, Stage, check};
pub mod dockerignore;
pub mod image_ref;
pub mod rules;

pub use image_ref::ImageRef;
pub use rules::{BuildContext, Finding, LintConfig, Severity, lint};
pub mod detect;
pub mod lower;
pub use detect::{BuildPath, detect};
pub use lower::{LowerError, Lowered, lower};
