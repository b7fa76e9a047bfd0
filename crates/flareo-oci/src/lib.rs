//! OCI images at rest: content digests, the content-addressed blob store (local
//! disk or an S3-compatible bucket, through the same [`object_store`] API), OCI
//! image layouts read into and written out of that store or read in place, manifests as registries
//! read them, and a client that pushes stored images to other registries.
#![forbid(unsafe_code)]

pub mod digest;
pub mod layout;
pub mod manifest;
pub mod registry_client;
pub mod store;
pub mod store_config;

pub use digest::{Digest, DigestError};
pub use layout::{
    ImageSummary, IndexEntry, LayerSummary, LayoutError, OciLayout, export_layout, ingest_layout,
    normalize_docker_config,
};
pub use manifest::{ManifestError, ManifestInfo};
pub use registry_client::{Credentials, RegistryClient, RegistryError, push_image};
pub use store::{BlobRead, BlobStore, StoreError};
pub use store_config::StoreConfig;
