//! OCI images at rest: content digests, the content-addressed blob store (local
//! disk or an S3-compatible bucket, through the same [`object_store`] API), and OCI
//! image layouts read into and written out of that store.
#![forbid(unsafe_code)]

pub mod digest;
pub mod layout;
pub mod store;
pub mod store_config;

pub use digest::{Digest, DigestError};
pub use layout::{
    ImageSummary, LayerSummary, LayoutError, export_layout, ingest_layout, normalize_docker_config,
};
pub use store::{BlobStore, StoreError};
pub use store_config::StoreConfig;
