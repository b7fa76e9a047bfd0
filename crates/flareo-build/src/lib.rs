//! The build worker's core: a module's source goes in (a directory, or a
//! submission tarball extracted safely), is linted, lowered for buildah 1.28 with
//! every base pinned to the local cache, built by buildah + runc in a user
//! namespace and an empty network namespace under the seed's limits, and comes out
//! as an OCI image in the content-addressed blob store — or as a failure in the
//! seed's words. See DESIGN.md, "The pipeline" and "buildah on our machines".

pub mod bases;
pub mod build;
pub mod cgroup;
pub mod config;
pub mod context;
pub mod engine;
pub mod extract;
pub mod netns;
pub mod network_log;
pub mod pack;
pub mod source_dir;

pub use bases::{BaseCache, BaseError, CachedBase};
pub use build::{BuildError, BuildOutput, BuildRequest, LogSink, Source, build};
pub use config::{ArchiveLimits, Limits, OperatorConfig};
pub use engine::{Engine, EngineError};
pub use source_dir::SourceDir;
