//! The Flareo server: one schema on SQLite (embedded default) or PostgreSQL
//! (scale-out); submissions with their stored status lifecycle; the review queue;
//! the build queue with worker leases and the worker that runs the pipeline; the
//! catalog; people, tokens and sessions; mail from an outbox; the JSON API with its
//! OpenAPI document; and the web pages. See DESIGN.md, "The pipeline".

pub mod advisories;
pub mod api;
pub mod app;
pub mod auth;
pub mod catalog;
pub mod config;
pub mod db;
pub mod evaluations;
pub mod fulcio;
pub mod mail;
pub mod openapi;
pub mod queue;
pub mod registry;
pub mod session_store;
pub mod signing;
pub mod sigstore;
pub mod submissions;
pub mod tlog;
pub mod transparency;
pub mod vex;
pub mod web;
pub mod worker;

pub use app::{ServeError, ServeOptions, serve};
pub use config::Config;
pub use db::{Backend, Db, DbError, now_ms};
pub use queue::Job;
pub use submissions::{NewSubmission, Status, Submission};
