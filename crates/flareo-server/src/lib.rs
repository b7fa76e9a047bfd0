//! The Flareo server's state: one schema on SQLite (embedded default) or
//! PostgreSQL (scale-out), the submission records with their stored status
//! lifecycle, and the build queue with worker leases. See DESIGN.md, "The pipeline".
//!
//! Work in progress (issue 4): the HTTP API, web pages, auth, mail and the worker
//! loop build on this layer.

pub mod db;
pub mod queue;
pub mod submissions;

pub use db::{Backend, Db, DbError, now_ms};
pub use queue::Job;
pub use submissions::{NewSubmission, Status, Submission};
