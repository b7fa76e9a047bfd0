//! Where the blob store lives, as the operator configures it: a directory on local
//! disk, or a bucket on an S3-compatible server (AWS S3, Cloudflare R2, MinIO,
//! moto in tests). [`crate::BlobStore::from_config`] opens it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use serde::Deserialize;

use crate::store::StoreError;

/// The blob store's backend, as written in the configuration file
/// (`store: {kind: local, path: ...}` or `store: {kind: s3, bucket: ...}`).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum StoreConfig {
    /// Blobs on local disk under `path` (created if missing).
    Local {
        /// The store's root directory.
        path: PathBuf,
    },
    /// Blobs in a bucket on an S3-compatible server. Settings left out fall back
    /// to the standard `AWS_*` environment variables (credentials, then instance
    /// metadata), as any AWS client does.
    S3 {
        /// The bucket, which must already exist.
        bucket: String,
        /// The server's URL (`https://<account>.r2.cloudflarestorage.com`,
        /// `http://127.0.0.1:9000`); none means AWS S3 itself. A custom endpoint
        /// is addressed path-style (`<endpoint>/<bucket>/<key>`), which every
        /// S3-compatible server accepts.
        endpoint: Option<String>,
        /// The region requests are signed for (default `us-east-1`; R2 takes `auto`).
        #[serde(default = "default_region")]
        region: String,
        /// Access key id; set it together with `secret_access_key`, or neither.
        access_key_id: Option<String>,
        /// Secret access key; never printed by `Debug`.
        secret_access_key: Option<String>,
        /// Whether a plain `http://` endpoint is allowed (default false).
        #[serde(default)]
        allow_http: bool,
        /// A key prefix inside the bucket (`flareo/prod`), so one bucket can hold
        /// several instances' blobs.
        prefix: Option<String>,
    },
}

/// The region when none is configured.
fn default_region() -> String {
    "us-east-1".to_string()
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local { path } => f.debug_struct("Local").field("path", path).finish(),
            Self::S3 {
                bucket,
                endpoint,
                region,
                access_key_id,
                secret_access_key,
                allow_http,
                prefix,
            } => f
                .debug_struct("S3")
                .field("bucket", bucket)
                .field("endpoint", endpoint)
                .field("region", region)
                .field("access_key_id", access_key_id)
                .field(
                    "secret_access_key",
                    &secret_access_key.as_ref().map(|_| "<redacted>"),
                )
                .field("allow_http", allow_http)
                .field("prefix", prefix)
                .finish(),
        }
    }
}

/// Builds the S3 backend a [`StoreConfig::S3`] names (no request is made yet).
pub(crate) fn s3_store(config: &StoreConfig) -> Result<Arc<dyn ObjectStore>, StoreError> {
    let StoreConfig::S3 {
        bucket,
        endpoint,
        region,
        access_key_id,
        secret_access_key,
        allow_http,
        prefix,
    } = config
    else {
        return Err(StoreError::Config("not an S3 store".into()));
    };
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_region(region)
        .with_allow_http(*allow_http)
        // Path-style: a custom endpoint is the server, not the bucket's own host.
        .with_virtual_hosted_style_request(false);
    if let Some(endpoint) = endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    match (access_key_id, secret_access_key) {
        (Some(id), Some(secret)) => {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
        }
        (None, None) => {}
        _ => {
            return Err(StoreError::Config(
                "access_key_id and secret_access_key must be set together".into(),
            ));
        }
    }
    let s3 = builder.build()?;
    let prefix = prefix.as_deref().map(str::trim).unwrap_or_default();
    if prefix.trim_matches('/').is_empty() {
        return Ok(Arc::new(s3));
    }
    let prefix = ObjectPath::parse(prefix)
        .map_err(|e| StoreError::Config(format!("prefix {prefix:?}: {e}")))?;
    Ok(Arc::new(PrefixStore::new(s3, prefix)))
}

#[cfg(test)]
mod tests {
    use super::StoreConfig;

    fn parse(json: &str) -> Result<StoreConfig, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn s3_fields_take_their_defaults() {
        assert_eq!(
            parse(r#"{"kind":"s3","bucket":"blobs"}"#),
            Ok(StoreConfig::S3 {
                bucket: "blobs".into(),
                endpoint: None,
                region: "us-east-1".into(),
                access_key_id: None,
                secret_access_key: None,
                allow_http: false,
                prefix: None,
            })
        );
        assert_eq!(
            parse(r#"{"kind":"local","path":"/var/lib/flareo/blobs"}"#),
            Ok(StoreConfig::Local {
                path: "/var/lib/flareo/blobs".into()
            })
        );
    }

    #[test]
    fn unknown_kinds_and_fields_are_refused() {
        let err = parse(r#"{"kind":"s3","bucket":"b","endpiont":"http://x"}"#).unwrap_err();
        assert!(err.starts_with("unknown field `endpiont`"), "{err}");
        let err = parse(r#"{"kind":"gcs","bucket":"b"}"#).unwrap_err();
        assert!(err.starts_with("unknown variant `gcs`"), "{err}");
        let err = parse(r#"{"kind":"local"}"#).unwrap_err();
        assert!(err.starts_with("missing field `path`"), "{err}");
    }

    #[test]
    fn debug_hides_the_secret() {
        let config = parse(
            r#"{"kind":"s3","bucket":"b","access_key_id":"AKID","secret_access_key":"hunter2"}"#,
        )
        .unwrap();
        let shown = format!("{config:?}");
        assert!(
            shown.contains("AKID") && shown.contains("<redacted>"),
            "{shown}"
        );
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn half_a_credential_is_refused() {
        let config = parse(r#"{"kind":"s3","bucket":"b","access_key_id":"AKID"}"#).unwrap();
        let err = super::s3_store(&config).unwrap_err().to_string();
        assert_eq!(
            err,
            "blob store config: access_key_id and secret_access_key must be set together"
        );
    }
}
