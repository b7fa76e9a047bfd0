//! Signing modes and the instance's trust material: the embedded CA, CT key and
//! transparency-log key kept under `<data_dir>/signing/` (created once, never
//! overwritten), a configured cosign-compatible key, or public Sigstore URLs; and
//! the trust root (`flareo trust-root`) that external verifiers are pointed at.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use flareo_attest::ca::Ca;
use flareo_attest::keys::KeyPair;
use flareo_attest::trust_root::{TrustRoot, TrustedLog};
use serde::Deserialize;

/// How this instance signs.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SigningMode {
    /// Short-lived certificates from the instance's own CA (default).
    #[default]
    Embedded,
    /// A configured ECDSA P-256 key pair (`key_file`), no certificates.
    Key,
    /// Fulcio and Rekor at the configured URLs with an OIDC token.
    Sigstore,
}

/// `signing:` in the server config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SigningConfig {
    /// The mode.
    pub mode: SigningMode,
    /// Where the embedded CA, CT and log keys live (default `<data_dir>/signing`).
    pub dir: Option<PathBuf>,
    /// PEM private key for `mode: key`.
    pub key_file: Option<PathBuf>,
    /// Fulcio URL for `mode: sigstore`.
    pub fulcio_url: Option<String>,
    /// Rekor URL for `mode: sigstore`.
    pub rekor_url: Option<String>,
    /// File holding the OIDC identity token for `mode: sigstore`, re-read for every
    /// build [default: the `SIGSTORE_ID_TOKEN` environment variable].
    pub oidc_token_file: Option<PathBuf>,
    /// For `mode: sigstore`: the Sigstore trusted root (or client trust config) of
    /// that Fulcio and Rekor, served to verifiers at `/api/v1/trust-root`.
    pub trusted_root: Option<PathBuf>,
    /// Identity-token issuers this instance's Fulcio-compatible endpoint
    /// (`/api/v2/signingCert`) accepts; none by default.
    pub oidc_issuers: Vec<crate::fulcio::OidcIssuer>,
}

/// `push:` in the server config: an external registry to push published modules to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushConfig {
    /// `host[:port][/prefix]`; images go to `<registry>/<slug>:<tag>`.
    pub registry: String,
    /// Basic-auth user name.
    pub username: Option<String>,
    /// Basic-auth password.
    pub password: Option<String>,
    /// Talk plain HTTP (local registries).
    #[serde(default)]
    pub insecure: bool,
}

/// Reading or creating the signing material failed.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// A file could not be read or written.
    #[error("signing material {}: {}", .0.display(), .1)]
    Io(PathBuf, std::io::Error),
    /// A key file is not a P-256 key.
    #[error("signing key {}: {}", .0.display(), .1)]
    Key(PathBuf, flareo_attest::keys::KeyError),
    /// The CA files do not form a CA.
    #[error("embedded CA in {}: {}", .0.display(), .1)]
    Ca(PathBuf, flareo_attest::ca::CaError),
    /// The configuration is incomplete for its mode.
    #[error("signing config: {0}")]
    Config(String),
}

/// The instance's own keys: CA (root key and certificate), CT log key, transparency
/// log key. Read from `dir`, created there on first use.
#[derive(Clone, Debug)]
pub struct Material {
    /// The CA.
    pub ca: Ca,
    /// The key that signs SCTs.
    pub ct_key: KeyPair,
    /// The key that signs checkpoints and SETs.
    pub log_key: KeyPair,
    /// When the material was created (RFC 3339), the trust root's `validFor.start`.
    pub created: String,
}

/// Writes `bytes` to `path` only if it does not exist (0600), atomically: a
/// concurrent creator's file wins and is what everyone reads.
fn create_once(path: &Path, bytes: &[u8]) -> Result<(), SigningError> {
    let io = |e| SigningError::Io(path.to_path_buf(), e);
    if path.exists() {
        return Ok(());
    }
    let dir = path.parent().expect("material files live in a directory");
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    match tmp.persist_noclobber(path) {
        Ok(_) => Ok(()),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io(e.error)),
    }
}

fn read(path: &Path) -> Result<String, SigningError> {
    std::fs::read_to_string(path).map_err(|e| SigningError::Io(path.to_path_buf(), e))
}

fn key_file(path: &Path) -> Result<KeyPair, SigningError> {
    create_once(path, KeyPair::generate().to_pem().as_bytes())?;
    KeyPair::from_pem(&read(path)?).map_err(|e| SigningError::Key(path.to_path_buf(), e))
}

impl Material {
    /// Loads the material in `dir`, creating what is missing (a CA valid for ten
    /// years named after `instance`).
    pub fn open(dir: &Path, instance: &str) -> Result<Self, SigningError> {
        std::fs::create_dir_all(dir).map_err(|e| SigningError::Io(dir.to_path_buf(), e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        let ca_key = key_file(&dir.join("ca-key.pem"))?;
        let ca_pem = dir.join("ca.pem");
        if !ca_pem.exists() {
            let now = SystemTime::now() - Duration::from_secs(60);
            let ca = Ca::create(
                ca_key.clone(),
                &format!("Flareo root for {instance}"),
                now,
                Duration::from_secs(10 * 365 * 86400),
            )
            .map_err(|e| SigningError::Ca(dir.to_path_buf(), e))?;
            create_once(&ca_pem, ca.root_pem().as_bytes())?;
        }
        let ca = Ca::from_parts(ca_key, &read(&ca_pem)?)
            .map_err(|e| SigningError::Ca(dir.to_path_buf(), e))?;
        let created = flareo_attest::ca::CertInfo::parse(ca.root_der())
            .map(|c| c.not_before)
            .map_err(|e| SigningError::Ca(dir.to_path_buf(), e))?;
        Ok(Self {
            ca,
            ct_key: key_file(&dir.join("ct-key.pem"))?,
            log_key: key_file(&dir.join("log-key.pem"))?,
            created: rfc3339(created),
        })
    }

    /// The trust root for this instance at `public_url`.
    pub fn trust_root(&self, public_url: &str) -> TrustRoot {
        let log = |key: &KeyPair| TrustedLog {
            base_url: public_url.to_string(),
            key: key.public(),
            valid_from: self.created.clone(),
        };
        TrustRoot {
            certificate_authorities: vec![(
                public_url.to_string(),
                vec![self.ca.root_der().to_vec()],
            )],
            tlogs: vec![log(&self.log_key)],
            ctlogs: vec![log(&self.ct_key)],
            valid_from: self.created.clone(),
        }
    }
}

/// `time` as RFC 3339 UTC with seconds.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// The directory the embedded material lives in.
pub fn material_dir(config: &crate::Config) -> PathBuf {
    config
        .server
        .signing
        .dir
        .clone()
        .unwrap_or_else(|| config.data_dir().join("signing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn material_is_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let a = Material::open(dir.path(), "test").unwrap();
        let b = Material::open(dir.path(), "test").unwrap();
        assert_eq!(a.ca.root_der(), b.ca.root_der());
        assert_eq!(a.log_key.public(), b.log_key.public());
        assert_ne!(a.log_key.public(), a.ct_key.public());
        let root = a.trust_root("http://127.0.0.1:1");
        assert_eq!(root.tlogs[0].key, a.log_key.public());
        std::fs::write(
            dir.path().join("ca.pem"),
            Ca::create(
                KeyPair::generate(),
                "x",
                SystemTime::now(),
                Duration::from_secs(9),
            )
            .unwrap()
            .root_pem(),
        )
        .unwrap();
        let e = Material::open(dir.path(), "test").unwrap_err().to_string();
        assert!(e.contains("different CAs"), "{e}");
    }
}

/// Signing one build: a key and (keyless) its certificate, and logging entries.
/// The three modes implement this; the pipeline code is the same for all.
#[async_trait::async_trait]
pub trait Signer: Send + Sync {
    /// The key to sign a build with and the certificate binding it to `identity`
    /// (`None` in key mode, where verifiers are given the public key).
    async fn begin(&self, identity: &Identity) -> Result<(KeyPair, Option<Vec<u8>>), SignError>;
    /// Logs a proposed Rekor entry; returns it with its inclusion proof and
    /// signed checkpoint.
    async fn log(&self, proposed: &serde_json::Value) -> Result<TlogEntry, SignError>;
}

/// Signing a build failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// Issuing the certificate failed.
    #[error("issuing the signing certificate: {0}")]
    Certificate(String),
    /// The log refused or failed.
    #[error("transparency log: {0}")]
    Log(String),
}

pub use flareo_attest::bundle::TlogEntry;
pub use flareo_attest::ca::Identity;

/// Mode 1: the embedded CA issues a ten-minute certificate per build; entries go to
/// the embedded log.
pub struct EmbeddedSigner {
    material: Material,
    log: std::sync::Arc<crate::transparency::EmbeddedLog>,
}

impl EmbeddedSigner {
    /// A signer over `material` logging to `log`.
    pub fn new(material: Material, log: std::sync::Arc<crate::transparency::EmbeddedLog>) -> Self {
        Self { material, log }
    }
}

#[async_trait::async_trait]
impl Signer for EmbeddedSigner {
    async fn begin(&self, identity: &Identity) -> Result<(KeyPair, Option<Vec<u8>>), SignError> {
        let key = KeyPair::generate();
        // Backdated a little: verifiers compare against the log's integrated time.
        let not_before = SystemTime::now() - Duration::from_secs(30);
        let cert = self
            .material
            .ca
            .issue(
                &key.public(),
                identity,
                not_before,
                Duration::from_secs(600),
                Some(&self.material.ct_key),
            )
            .map_err(|e| SignError::Certificate(e.to_string()))?;
        Ok((key, Some(cert)))
    }

    async fn log(&self, proposed: &serde_json::Value) -> Result<TlogEntry, SignError> {
        self.log
            .submit(proposed)
            .await
            .map_err(|e| SignError::Log(e.to_string()))
    }
}

/// Mode 2: a configured key pair signs; entries go to the embedded log.
pub struct KeySigner {
    key: KeyPair,
    log: std::sync::Arc<crate::transparency::EmbeddedLog>,
}

impl KeySigner {
    /// Reads the PEM key at `path`.
    pub fn open(
        path: &Path,
        log: std::sync::Arc<crate::transparency::EmbeddedLog>,
    ) -> Result<Self, SigningError> {
        let key = KeyPair::from_pem(&read(path)?)
            .map_err(|e| SigningError::Key(path.to_path_buf(), e))?;
        Ok(Self { key, log })
    }
}

#[async_trait::async_trait]
impl Signer for KeySigner {
    async fn begin(&self, _identity: &Identity) -> Result<(KeyPair, Option<Vec<u8>>), SignError> {
        Ok((self.key.clone(), None))
    }

    async fn log(&self, proposed: &serde_json::Value) -> Result<TlogEntry, SignError> {
        self.log
            .submit(proposed)
            .await
            .map_err(|e| SignError::Log(e.to_string()))
    }
}

/// What signing a build produced: bundles to serve and manifests to store.
#[derive(Debug, Clone)]
pub struct SignedBuild {
    /// The simple-signing payload signed.
    pub payload: Vec<u8>,
    /// Bundles: (predicate type or "" for the image signature, bundle JSON).
    pub bundles: Vec<(String, serde_json::Value)>,
    /// Manifests to store, with the tag each goes under (if any).
    pub artifacts: Vec<(flareo_attest::cosign::Artifact, Option<String>)>,
    /// Log indexes of every entry written.
    pub log_indexes: Vec<u64>,
}

/// What to sign for one build.
#[derive(Debug, Clone)]
pub struct ToSign<'a> {
    /// `<registry>/<slug>` the signature names.
    pub reference: &'a str,
    /// Image manifest digest `sha256:<hex>`.
    pub digest: &'a str,
    /// Image manifest media type and size (the referrers' subject).
    pub media_type: &'a str,
    /// Image manifest size.
    pub size: u64,
    /// Provenance facts.
    pub facts: flareo_attest::intoto::BuildFacts,
    /// The CycloneDX SBOM.
    pub sbom: serde_json::Value,
    /// The OpenVEX document, when the module has statements.
    pub vex: Option<serde_json::Value>,
}

/// Signs the image (cosign simple signing), its provenance, SBOM and VEX (DSSE
/// in-toto attestations); logs each; builds the `.sig`/`.att` manifests and one
/// OCI 1.1 referrer per bundle.
pub async fn sign_build(
    signer: &dyn Signer,
    identity: &Identity,
    what: &ToSign<'_>,
) -> Result<SignedBuild, SignError> {
    use flareo_attest::bundle::{Bundle, Content};
    use flareo_attest::cosign::{self, Layer};
    use flareo_attest::dsse::{Envelope, INTOTO_PAYLOAD_TYPE};
    use flareo_attest::intoto::{self, Statement};
    use flareo_attest::keys::sha256;
    use flareo_attest::rekor;

    let (key, cert) = signer.begin(identity).await?;
    let verifier_pem = match &cert {
        Some(der) => flareo_attest::ca::der_to_pem(der),
        None => key.public().to_pem(),
    };
    let cert_annotations = |entry: &TlogEntry| {
        let mut a = vec![(cosign::ANN_BUNDLE.to_string(), entry.to_cosign_annotation())];
        if cert.is_some() {
            a.push((cosign::ANN_CERTIFICATE.to_string(), verifier_pem.clone()));
        }
        a
    };
    let bundle_of = |content: Content, entry: TlogEntry| Bundle {
        certificate: cert.clone(),
        public_key_hint: cert.is_none().then(|| key.public().key_id_hex()),
        tlog_entries: vec![entry],
        content,
    };
    let subject = (what.media_type, what.digest, what.size);
    let mut out = SignedBuild {
        payload: vec![],
        bundles: vec![],
        artifacts: vec![],
        log_indexes: vec![],
    };

    // The image signature.
    let payload = cosign::simple_signing_payload(what.reference, what.digest);
    let signature = key.sign(&payload);
    let digest = sha256(&payload);
    let body = rekor::hashedrekord(&digest, &signature, &verifier_pem);
    let entry = signer
        .log(&serde_json::from_slice(&body).expect("bodies are JSON"))
        .await?;
    out.log_indexes.push(entry.log_index);
    let mut annotations = vec![(
        cosign::ANN_SIGNATURE.to_string(),
        flareo_attest::verify::b64encode(&signature),
    )];
    annotations.extend(cert_annotations(&entry));
    let sig_manifest = cosign::layered_manifest(&[Layer {
        media_type: cosign::SIMPLE_SIGNING.into(),
        blob: payload.clone(),
        annotations,
    }]);
    out.artifacts
        .push((sig_manifest, Some(cosign::signature_tag(what.digest))));
    let bundle = bundle_of(Content::MessageSignature { digest, signature }, entry).to_json();
    out.artifacts.push((
        cosign::referrer_manifest(
            flareo_attest::bundle::BUNDLE_V03,
            flareo_attest::bundle::BUNDLE_V03,
            &serde_json::to_vec(&bundle).expect("JSON"),
            subject,
            &[(
                cosign::ANN_BUNDLE_CONTENT.into(),
                "message-signature".into(),
            )],
        ),
        None,
    ));
    out.bundles.push((String::new(), bundle));
    out.payload = payload;

    // Attestations.
    let image_hex = what.digest.trim_start_matches("sha256:");
    let mut statements = vec![
        intoto::provenance(&what.facts),
        Statement::about(
            &what.facts.image_name,
            image_hex,
            intoto::CYCLONEDX_PREDICATE,
            what.sbom.clone(),
        ),
    ];
    if let Some(vex) = &what.vex {
        statements.push(Statement::about(
            &what.facts.image_name,
            image_hex,
            intoto::OPENVEX_PREDICATE,
            vex.clone(),
        ));
    }
    let mut att_layers = vec![];
    for statement in statements {
        let envelope = Envelope::sign(INTOTO_PAYLOAD_TYPE, &statement.to_json(), &key);
        let proposed = rekor::propose_dsse(&envelope, &verifier_pem);
        let entry = signer.log(&proposed).await?;
        out.log_indexes.push(entry.log_index);
        let mut annotations = vec![
            (cosign::ANN_SIGNATURE.to_string(), String::new()),
            (
                cosign::ANN_PREDICATE_TYPE.to_string(),
                statement.predicate_type.clone(),
            ),
        ];
        annotations.extend(cert_annotations(&entry));
        att_layers.push(Layer {
            media_type: cosign::DSSE_ENVELOPE.into(),
            blob: envelope.to_json(),
            annotations,
        });
        let bundle = bundle_of(Content::Dsse(envelope), entry).to_json();
        out.artifacts.push((
            cosign::referrer_manifest(
                flareo_attest::bundle::BUNDLE_V03,
                flareo_attest::bundle::BUNDLE_V03,
                &serde_json::to_vec(&bundle).expect("JSON"),
                subject,
                &[
                    (cosign::ANN_BUNDLE_CONTENT.into(), "dsse-envelope".into()),
                    (
                        cosign::ANN_BUNDLE_PREDICATE_TYPE.into(),
                        statement.predicate_type.clone(),
                    ),
                ],
            ),
            None,
        ));
        out.bundles.push((statement.predicate_type, bundle));
    }
    out.artifacts.push((
        cosign::layered_manifest(&att_layers),
        Some(cosign::attestation_tag(what.digest)),
    ));
    Ok(out)
}

/// Everything signing needs at run time, built once from the configuration.
#[derive(Clone)]
pub struct SigningSetup {
    /// The signer the worker uses.
    pub signer: std::sync::Arc<dyn Signer>,
    /// The embedded log (served at `/api/v1/log/...`).
    pub log: Option<std::sync::Arc<crate::transparency::EmbeddedLog>>,
    /// The Fulcio-compatible endpoint over the embedded CA (`/api/v2/...`).
    pub fulcio: Option<std::sync::Arc<crate::fulcio::Fulcio>>,
    /// The instance's public URL.
    pub public_url: String,
    /// The client trust config verifiers are given.
    pub trust_root: serde_json::Value,
    /// Identity certificates name (SAN URI) and the builder id in provenance.
    pub builder_id: String,
    /// The OIDC issuer in certificates.
    pub issuer: String,
    /// The external registry published modules are pushed to.
    pub push: Option<PushConfig>,
    /// This instance's registry host: pull URLs and signed references name it.
    pub registry_host: String,
}

impl std::fmt::Debug for SigningSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningSetup({})", self.builder_id)
    }
}

/// The builder id (and certificate identity) of the instance at `public_url`.
pub fn builder_id(public_url: &str) -> String {
    format!("{public_url}/builders/v1")
}

/// Builds the signing setup for `config` over `db`: loads (or creates) the
/// embedded material, opens the embedded log, picks the mode's signer.
pub fn setup(config: &crate::Config, db: &crate::Db) -> Result<SigningSetup, SigningError> {
    let public_url = config.public_url();
    let material = Material::open(&material_dir(config), &config.registry_host())?;
    let log = std::sync::Arc::new(crate::transparency::EmbeddedLog::new(
        db.clone(),
        material.log_key.clone(),
        &config.registry_host(),
    ));
    let signing = &config.server.signing;
    let signer: std::sync::Arc<dyn Signer> = match signing.mode {
        SigningMode::Embedded => {
            std::sync::Arc::new(EmbeddedSigner::new(material.clone(), log.clone()))
        }
        SigningMode::Key => {
            let path = signing.key_file.as_ref().ok_or_else(|| {
                SigningError::Config("mode: key needs key_file: <PEM P-256 private key>".into())
            })?;
            std::sync::Arc::new(KeySigner::open(path, log.clone())?)
        }
        SigningMode::Sigstore => {
            let need = |v: &Option<String>, what: &str| {
                v.clone()
                    .ok_or_else(|| SigningError::Config(format!("mode: sigstore needs {what}")))
            };
            let fulcio = need(
                &signing.fulcio_url,
                "fulcio_url (e.g. https://fulcio.sigstore.dev)",
            )?;
            let rekor = need(
                &signing.rekor_url,
                "rekor_url (e.g. https://rekor.sigstore.dev)",
            )?;
            let token = match &signing.oidc_token_file {
                Some(path) => crate::sigstore::TokenSource::File(path.clone()),
                None => crate::sigstore::TokenSource::Env("SIGSTORE_ID_TOKEN".into()),
            };
            std::sync::Arc::new(crate::sigstore::SigstoreSigner::new(&fulcio, &rekor, token))
        }
    };
    let trust_root = trust_root(config, &material)?;
    let fulcio = std::sync::Arc::new(
        crate::fulcio::Fulcio::new(material.clone(), signing.oidc_issuers.clone())
            .map_err(SigningError::Config)?,
    );
    Ok(SigningSetup {
        signer,
        log: Some(log),
        fulcio: Some(fulcio),
        public_url: public_url.clone(),
        trust_root,
        builder_id: builder_id(&public_url),
        issuer: public_url,
        push: config.server.push.clone(),
        registry_host: config.registry_host(),
    })
}

/// The client trust config that verifies this instance's signatures: in `mode:
/// sigstore` the configured `trusted_root` of that Fulcio and Rekor, otherwise the
/// embedded material's (its CA, CT log and transparency log).
pub fn trust_root(
    config: &crate::Config,
    material: &Material,
) -> Result<serde_json::Value, SigningError> {
    let signing = &config.server.signing;
    match (&signing.mode, &signing.trusted_root) {
        (SigningMode::Sigstore, Some(path)) => external_trust_root(path),
        (SigningMode::Sigstore, None) => Err(SigningError::Config(
            "mode: sigstore needs trusted_root: <the Sigstore trusted_root.json of that Fulcio and Rekor> (verifiers are given it)".into(),
        )),
        _ => Ok(material
            .trust_root(&config.public_url())
            .client_trust_config_json()),
    }
}

/// Reads a configured trusted root (or client trust config) and returns it as a
/// client trust config.
fn external_trust_root(path: &Path) -> Result<serde_json::Value, SigningError> {
    let text = read(path)?;
    let bad = |m: String| SigningError::Config(format!("trusted_root {}: {m}", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let root = TrustRoot::from_json(&v).map_err(|e| bad(e.to_string()))?;
    Ok(root.client_trust_config_json())
}

/// One stored signature or attestation of an image.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct StoredSignature {
    /// `""` for the image signature, else the attestation's predicate type.
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The Sigstore bundle's blob digest.
    pub bundle_digest: String,
    /// Its transparency-log index.
    pub log_index: i64,
    /// When it was recorded (ms since the epoch).
    pub created_at: i64,
}

impl crate::Db {
    /// Records the signatures of module `slug`'s image `image_digest` (append-only).
    pub async fn record_signatures(
        &self,
        slug: &str,
        image_digest: &str,
        rows: &[(String, String, u64)],
    ) -> Result<(), crate::DbError> {
        let now = crate::now_ms();
        let mut tx = self.begin().await?;
        for (predicate_type, bundle_digest, log_index) in rows {
            sqlx::query(
                "INSERT INTO image_signatures (slug, image_digest, predicate_type, bundle_digest, log_index, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(slug)
            .bind(image_digest)
            .bind(predicate_type)
            .bind(bundle_digest)
            .bind(*log_index as i64)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(crate::db::sql("recording signatures"))?;
        }
        tx.commit()
            .await
            .map_err(crate::db::sql("recording signatures"))?;
        Ok(())
    }

    /// The latest signature of each kind recorded for module `slug`'s image
    /// `image_digest`.
    pub async fn signatures(
        &self,
        slug: &str,
        image_digest: &str,
    ) -> Result<Vec<StoredSignature>, crate::DbError> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT predicate_type, bundle_digest, log_index, created_at FROM image_signatures \
             WHERE slug = $1 AND image_digest = $2 ORDER BY created_at DESC, log_index DESC",
        )
        .bind(slug)
        .bind(image_digest)
        .fetch_all(&self.pool)
        .await
        .map_err(crate::db::sql("reading signatures"))?;
        let mut out: Vec<StoredSignature> = Vec::new();
        for (predicate_type, bundle_digest, log_index, created_at) in rows {
            if !out.iter().any(|s| s.predicate_type == predicate_type) {
                out.push(StoredSignature {
                    predicate_type,
                    bundle_digest,
                    log_index,
                    created_at,
                });
            }
        }
        out.sort_by(|a, b| a.predicate_type.cmp(&b.predicate_type));
        Ok(out)
    }
}

impl PushConfig {
    /// `(scheme://host[:port], repository prefix)` of the configured registry.
    pub fn split(&self) -> (String, String) {
        let (host, prefix) = self
            .registry
            .split_once('/')
            .unwrap_or((&self.registry, ""));
        let scheme = if self.insecure { "http" } else { "https" };
        (
            format!("{scheme}://{host}"),
            prefix.trim_matches('/').to_string(),
        )
    }

    /// The repository a module is pushed to.
    pub fn repository(&self, slug: &str) -> String {
        match self.split().1.as_str() {
            "" => slug.to_string(),
            prefix => format!("{prefix}/{slug}"),
        }
    }

    /// The client credentials.
    pub fn credentials(&self) -> flareo_oci::registry_client::Credentials {
        match (&self.username, &self.password) {
            (Some(username), Some(password)) => flareo_oci::registry_client::Credentials::Basic {
                username: username.clone(),
                password: password.clone(),
            },
            _ => flareo_oci::registry_client::Credentials::Anonymous,
        }
    }
}
