//! A build worker: claims jobs from the queue under a renewed lease and runs the
//! pipeline's steps, recording each in the database before the next starts, so a
//! worker killed at any point is resumed by another from the last completed step.
//!
//! Steps: `build` (buildah, image into the blob store, log streamed to the
//! database), `scan` (packages cataloged per layer, matched against the advisory
//! database, CRITICAL/HIGH rejects), `sign` (pass-through until the signer exists:
//! the status records that the image was not signed), then `publish` (module row,
//! status and mail in one transaction). When idle, it re-evaluates published
//! modules whose VEX or advisories changed, from their stored SBOMs
//! ([`crate::evaluations`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use flareo_build::{BuildRequest, Engine, LogSink, OperatorConfig, Source};
use flareo_oci::{BlobStore, Digest};
use flareo_scan::version::Ecosystem;
use tokio::sync::{mpsc, watch};

use crate::catalog::Publication;
use crate::config::WorkerConfig;
use crate::db::{Db, DbError};
use crate::queue::{BuildOutputs, Job};
use crate::submissions::Status;

/// What stops a worker from doing its work (not a build failure: those are
/// recorded on the submission).
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The blob store failed.
    #[error(transparent)]
    Store(#[from] flareo_oci::StoreError),
    /// The build engine could not be used.
    #[error(transparent)]
    Engine(#[from] flareo_build::EngineError),
    /// Local files failed.
    #[error("worker: {0}: {1}")]
    Io(&'static str, std::io::Error),
}

/// Source date for uploaded contexts: fixed, so the same upload gives the same digest.
const UPLOAD_EPOCH: u64 = 0;

/// One worker.
pub struct Worker {
    db: Db,
    store: BlobStore,
    engine: Arc<Engine>,
    operator: OperatorConfig,
    settings: WorkerConfig,
    id: String,
    signing: crate::signing::SigningSetup,
}

impl Worker {
    /// A worker named `id` building with `engine` and storing into `store`;
    /// `signing` signs, and its registry host names pull URLs.
    pub fn new(
        db: Db,
        store: BlobStore,
        engine: Arc<Engine>,
        operator: OperatorConfig,
        settings: WorkerConfig,
        id: String,
        signing: crate::signing::SigningSetup,
    ) -> Self {
        Self {
            db,
            store,
            engine,
            operator,
            settings,
            id,
            signing,
        }
    }

    /// This worker's name (the lease owner).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Claims and runs jobs until `shutdown` turns true; polls an empty queue.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let poll = Duration::from_secs_f64(self.settings.poll_secs.max(0.05));
        tracing::info!(worker = %self.id, "worker started");
        while !*shutdown.borrow() {
            let mut worked = match self.run_once().await {
                Ok(worked) => worked,
                Err(e) => {
                    tracing::error!(worker = %self.id, error = %e, "worker step failed");
                    false
                }
            };
            if !worked {
                // Builds first; re-evaluations (VEX or advisories changed) when idle.
                worked = match self.reevaluate_next().await {
                    Ok(worked) => worked,
                    Err(e) => {
                        tracing::error!(worker = %self.id, error = %e, "re-evaluation failed");
                        false
                    }
                };
            }
            if !worked {
                tokio::select! {
                    _ = tokio::time::sleep(poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        tracing::info!(worker = %self.id, "worker stopped");
    }

    /// Claims one job and runs it to its end; false when the queue was empty.
    pub async fn run_once(&self) -> Result<bool, WorkerError> {
        let lease = Duration::from_secs(self.settings.lease_secs.max(1));
        let Some(job) = self.db.claim(&self.id, lease).await? else {
            return Ok(false);
        };
        tracing::info!(worker = %self.id, job = job.id, submission = job.submission_id, step = %job.step,
            attempt = job.attempts, claim_latency_ms = job.first_claimed_at - job.created_at, "claimed");
        let lost = Arc::new(AtomicBool::new(false));
        let renewer = {
            let (db, id, lost) = (self.db.clone(), self.id.clone(), lost.clone());
            let job_id = job.id;
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(lease / 3).await;
                    match db.renew(job_id, &id, lease).await {
                        Ok(true) => {}
                        Ok(false) => {
                            lost.store(true, Ordering::SeqCst);
                            return;
                        }
                        Err(e) => tracing::warn!(error = %e, "renewing a lease"),
                    }
                }
            })
        };
        let result = self.run_job(&job).await;
        renewer.abort();
        if lost.load(Ordering::SeqCst) {
            tracing::warn!(worker = %self.id, job = job.id, "lease lost; another worker owns the job");
        }
        result.map(|()| true)
    }

    async fn run_job(&self, job: &Job) -> Result<(), WorkerError> {
        let sub = self.db.submission(job.submission_id).await?;
        if job.attempts > self.settings.max_attempts {
            let error = format!(
                "build abandoned: claimed {} times without finishing (its workers stopped)",
                job.attempts - 1
            );
            return self.fail(job, &sub.slug, &error).await;
        }
        self.db
            .append_log(
                sub.id,
                &[format!(
                    "worker {} claimed the build (attempt {}, resuming after step {:?})",
                    self.id, job.attempts, job.step
                )],
            )
            .await?;
        let mut step = job.step.clone();
        if step.is_empty() {
            self.db
                .set_status(sub.id, Status::Building, Some(&self.id))
                .await?;
            match self.build(job, &sub.context_digest).await? {
                Ok(outputs) => {
                    if !self.db.complete_build(job.id, &self.id, &outputs).await? {
                        return Ok(());
                    }
                }
                Err(error) => return self.fail(job, &sub.slug, &error).await,
            }
            step = "build".into();
        }
        if step == "build" {
            self.db
                .set_status(sub.id, Status::Scanning, Some(&self.id))
                .await?;
            match self.scan(job, &sub).await? {
                Ok((summary, scan_digest, sbom_digest)) => {
                    self.db
                        .append_log(sub.id, std::slice::from_ref(&summary))
                        .await?;
                    if !self
                        .db
                        .complete_scan(job.id, &self.id, &scan_digest, &sbom_digest)
                        .await?
                    {
                        return Ok(());
                    }
                }
                Err(error) => return self.fail(job, &sub.slug, &error).await,
            }
            step = "scan".into();
        }
        if step == "scan" {
            self.db
                .set_status(sub.id, Status::Signing, Some(&self.id))
                .await?;
            match self.sign(job, &sub).await? {
                Ok(summary) => self.db.append_log(sub.id, &[summary]).await?,
                Err(error) => return self.fail(job, &sub.slug, &error).await,
            }
            if !self.db.complete_step(job.id, &self.id, "sign").await? {
                return Ok(());
            }
        }
        self.publish(job).await
    }

    /// Runs buildah on the submission's context; `Ok(Err(message))` is a build
    /// failure to record, `Err` a worker failure.
    async fn build(
        &self,
        job: &Job,
        context: &str,
    ) -> Result<Result<BuildOutputs, String>, WorkerError> {
        let digest: Digest = match context.parse() {
            Ok(d) => d,
            Err(e) => return Ok(Err(format!("submission context digest {context:?}: {e:?}"))),
        };
        let bytes = self.store.get(&digest).await?;
        let work = self.engine.work_dir()?;
        let archive = work.path().join("context.tar.gz");
        tokio::fs::write(&archive, &bytes)
            .await
            .map_err(|e| WorkerError::Io("writing the context", e))?;
        let (tx, rx) = mpsc::unbounded_channel::<String>();
        let sink: LogSink = Arc::new(move |line: &str| {
            let _ = tx.send(line.to_string());
        });
        let writer = tokio::spawn(write_log(self.db.clone(), job.submission_id, rx));
        let result = flareo_build::build(
            self.engine.clone(),
            &self.store,
            &self.operator,
            BuildRequest {
                source: Source::Archive(archive),
                source_date_epoch: UPLOAD_EPOCH,
            },
            sink,
        )
        .await;
        let _ = writer.await;
        Ok(match result {
            Ok(out) => Ok(BuildOutputs {
                image_digest: out.image.digest.to_string(),
                image_size: out.image.size as i64,
                log_digest: out.log_digest.to_string(),
                duration_ms: (out.duration_s * 1000.0) as i64,
            }),
            Err(e) => {
                self.db
                    .append_log(job.submission_id, &[format!("error: {e}")])
                    .await?;
                Err(e.to_string())
            }
        })
    }

    /// Catalogs the built image's packages layer by layer, matches them against
    /// the advisory database and applies the CRITICAL/HIGH gate. The report (OS,
    /// packages with their layers, findings) is stored as a blob. `Ok(Err(message))`
    /// rejects the build.
    async fn scan(
        &self,
        job: &Job,
        sub: &crate::Submission,
    ) -> Result<Result<(String, String, String), String>, WorkerError> {
        let outputs = self
            .db
            .build_outputs(job.id)
            .await?
            .ok_or_else(|| DbError::Conflict(format!("job {} has no image to scan", job.id)))?;
        let digest: Digest = match outputs.image_digest.parse() {
            Ok(d) => d,
            Err(e) => {
                return Ok(Err(format!(
                    "image digest {:?}: {e:?}",
                    outputs.image_digest
                )));
            }
        };
        let manifest: serde_json::Value =
            match serde_json::from_slice(&self.store.get(&digest).await?) {
                Ok(m) => m,
                Err(e) => return Ok(Err(format!("image manifest {digest}: {e}"))),
            };
        let mut layers = Vec::new();
        let mut layer_digests = Vec::new();
        for layer in manifest["layers"].as_array().into_iter().flatten() {
            let Some(Ok(d)) = layer["digest"].as_str().map(str::parse::<Digest>) else {
                return Ok(Err(format!(
                    "image manifest {digest}: a layer without a digest"
                )));
            };
            layers.push(self.store.get(&d).await?);
            layer_digests.push(d.to_string());
        }
        let (slug, tag, image_digest) = (sub.slug.clone(), sub.tag.clone(), digest.to_string());
        let statements = self.db.vex_statements(&sub.slug).await?;
        // Catalog first (and find secrets), in one pass over the layers.
        let cataloged = tokio::task::spawn_blocking(move || {
            let refs: Vec<&[u8]> = layers.iter().map(|l| l.as_ref()).collect();
            let (files, secrets) =
                flareo_scan::layers::scan_image(&refs, flareo_scan::catalog::image::wanted)
                    .map_err(|e| e.to_string())?;
            let os = flareo_scan::catalog::image::os_release(&files).unwrap_or_default();
            Ok::<_, String>((os, flareo_scan::catalog::image::catalog(&files), secrets))
        })
        .await
        .map_err(|e| WorkerError::Io("scanning", std::io::Error::other(e)))?;
        let (os, packages, secrets) = match cataloged {
            Ok(c) => c,
            Err(e) => return Ok(Err(format!("scan failed: {e}"))),
        };
        let advisories = self.advisories_for(&packages).await?;
        let scanned = tokio::task::spawn_blocking(move || {
            // Reviewers' VEX: not_affected / fixed statements suppress a finding for this
            // product; suppressed findings stay in the report, marked.
            let product = product_purl(&slug, &image_digest);
            let evaluation = flareo_scan::evaluate::evaluate(
                &advisories,
                &packages,
                &os,
                &product,
                &statements,
            );
            let secrets_json = secrets
                .iter()
                .map(|(layer, f)| serde_json::json!({"layer": layer_digests.get(*layer), "finding": f}))
                .collect();
            let report = scan_report(&os, &packages, &evaluation, secrets_json, "build");
            let gate = match secrets.first() {
                Some((layer, finding)) => Err(format!(
                    "secret baked into the image: {finding} in layer {}{}",
                    layer_digests.get(*layer).map_or("?", String::as_str),
                    if secrets.len() > 1 { format!(" (and {} more)", secrets.len() - 1) } else { String::new() }
                )),
                None => evaluation.verdict.clone(),
            };
            let image = flareo_scan::sbom::ImageInfo {
                name: &slug,
                digest: &image_digest,
                tag: &tag,
                layers: &layer_digests,
            };
            let sbom = flareo_scan::sbom::cyclonedx(&image, &os, &packages);
            let findings = evaluation.effective().count();
            Ok::<_, String>((report, sbom, packages.len(), findings, gate))
        })
        .await
        .map_err(|e| WorkerError::Io("scanning", std::io::Error::other(e)))?;
        let (report, sbom, packages, findings, gate) = match scanned {
            Ok(s) => s,
            Err(e) => return Ok(Err(format!("scan failed: {e}"))),
        };
        let report_digest = self.store.put(report.to_string().into()).await?;
        let sbom_digest = self
            .store
            .put(serde_json::to_vec_pretty(&sbom).unwrap_or_default().into())
            .await?;
        let summary = format!(
            "scanned: {packages} packages, {findings} findings against {} advisories (report {report_digest}, CycloneDX SBOM {sbom_digest})",
            report["advisories"]
        );
        Ok(match gate {
            Ok(()) => Ok((summary, report_digest.to_string(), sbom_digest.to_string())),
            Err(message) => Err(message),
        })
    }

    /// The advisories that name `packages` (by source package for Debian and
    /// Alpine, as the matcher looks them up), not the whole database.
    async fn advisories_for(
        &self,
        packages: &[flareo_scan::catalog::image::LayeredPackage],
    ) -> Result<Vec<flareo_scan::osv::Advisory>, WorkerError> {
        let mut names: std::collections::BTreeMap<Ecosystem, Vec<String>> = Default::default();
        for lp in packages {
            let (name, _) = flareo_scan::matcher::advisory_key(&lp.package);
            names
                .entry(lp.package.ecosystem)
                .or_default()
                .push(name.to_string());
        }
        let mut advisories = Vec::new();
        for (ecosystem, names) in &names {
            advisories.extend(self.db.advisories_for(ecosystem.osv_name(), names).await?);
        }
        Ok(advisories)
    }

    /// Re-evaluates one module whose VEX or advisories changed, from its stored
    /// SBOM (no rebuild): findings after VEX, a new report blob, the verdict, and
    /// a mail to the maintainer when the verdict changed. False when no request
    /// was waiting.
    pub async fn reevaluate_next(&self) -> Result<bool, WorkerError> {
        let lease_ms = i64::try_from(self.settings.lease_secs.max(1)).unwrap_or(60) * 1000;
        let Some(request) = self.db.claim_evaluation(&self.id, lease_ms).await? else {
            return Ok(false);
        };
        let outcome = self.reevaluate(&request).await;
        let (evaluation, mail) = match outcome {
            Ok(Some((evaluation, mail))) => (Some(evaluation), mail),
            Ok(None) => (None, None), // no longer published or never scanned
            Err(e) => {
                // Left leased: retried when the lease runs out.
                tracing::warn!(slug = %request.slug, error = %e, "re-evaluation failed");
                return Err(e);
            }
        };
        let mail_ref = mail
            .as_ref()
            .map(|(to, (subject, body))| (to.as_str(), subject.as_str(), body.as_str()));
        let recorded = self
            .db
            .record_evaluation(&request, &self.id, evaluation.as_ref(), mail_ref)
            .await?;
        if let Some(e) = evaluation.as_ref().filter(|_| recorded) {
            tracing::info!(slug = %request.slug, verdict = %e.verdict, findings = e.findings,
                suppressed = e.suppressed, trigger = %request.reason, "re-evaluated");
        }
        Ok(true)
    }

    #[allow(clippy::type_complexity)]
    async fn reevaluate(
        &self,
        request: &crate::evaluations::EvaluationRequest,
    ) -> Result<
        Option<(
            crate::evaluations::EvaluationRecord,
            Option<(String, (String, String))>,
        )>,
        WorkerError,
    > {
        let module = match self.db.module(&request.slug).await {
            Ok(m) => m,
            Err(DbError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let Some((report_digest, sbom_digest)) = self.db.scan_results(module.submission_id).await?
        else {
            return Ok(None);
        };
        let sbom = self.json_blob("SBOM", &sbom_digest).await?;
        let contents = flareo_scan::sbom::read(&sbom)
            .map_err(|e| DbError::Conflict(format!("stored SBOM {sbom_digest}: {e}")))?;
        let build_report = self.json_blob("report", &report_digest).await?;
        let digest = module.summary.digest.clone();
        let previous = self.db.latest_evaluation(&request.slug, &digest).await?;
        let statements = self.db.vex_statements(&request.slug).await?;
        let advisories = self.advisories_for(&contents.packages).await?;
        let (slug, trigger) = (request.slug.clone(), request.reason.clone());
        let image_digest = digest.clone();
        let (report, verdict, findings, suppressed) = tokio::task::spawn_blocking(move || {
            let product = product_purl(&slug, &image_digest);
            let evaluation = flareo_scan::evaluate::evaluate(
                &advisories,
                &contents.packages,
                &contents.os,
                &product,
                &statements,
            );
            let mut report = scan_report(
                &contents.os,
                &contents.packages,
                &evaluation,
                build_report["secrets"].clone(),
                &trigger,
            );
            report["image"] = image_digest.into();
            let findings = evaluation.effective().count() as i64;
            let suppressed = evaluation.findings.len() as i64 - findings;
            (report, evaluation.verdict, findings, suppressed)
        })
        .await
        .map_err(|e| WorkerError::Io("re-evaluating", std::io::Error::other(e)))?;
        let report_digest = self.store.put(report.to_string().into()).await?;
        let record = crate::evaluations::EvaluationRecord {
            digest: digest.clone(),
            report_digest: report_digest.to_string(),
            verdict: if verdict.is_ok() { "pass" } else { "fail" }.into(),
            reason: verdict.clone().err().unwrap_or_default(),
            findings,
            suppressed,
            trigger: request.reason.clone(),
            at: crate::db::now_ms(),
        };
        // The build passed the gate: that is the verdict before any re-evaluation.
        let before = previous.map_or_else(|| "pass".to_string(), |p| p.verdict);
        let mail = if before != record.verdict {
            let to = self.db.maintainer_of(module.submission_id).await?;
            Some((
                to,
                crate::mail::verdict_changed(&request.slug, &digest, &record),
            ))
        } else {
            None
        };
        Ok(Some((record, mail)))
    }

    /// A JSON blob the database names by `digest` (`what` for the error).
    async fn json_blob(&self, what: &str, digest: &str) -> Result<serde_json::Value, WorkerError> {
        let parsed: Digest = digest
            .parse()
            .map_err(|e| DbError::Conflict(format!("stored {what} digest {digest:?}: {e:?}")))?;
        let bytes = self.store.get(&parsed).await?;
        Ok(serde_json::from_slice(&bytes)
            .map_err(|e| DbError::Conflict(format!("stored {what} {digest}: {e}")))?)
    }

    /// Signs the image, its provenance, SBOM and VEX, logs every signature and
    /// stores the cosign and OCI 1.1 artifacts; `Ok(Err(message))` fails the build.
    async fn sign(
        &self,
        job: &Job,
        sub: &crate::Submission,
    ) -> Result<Result<String, String>, WorkerError> {
        let outputs = self.db.build_outputs(job.id).await?.ok_or_else(|| {
            DbError::Conflict(format!("job {} has no build outputs to sign", job.id))
        })?;
        let digest: Digest = outputs.image_digest.parse().map_err(|e| {
            DbError::Conflict(format!(
                "stored image digest {:?}: {e:?}",
                outputs.image_digest
            ))
        })?;
        let manifest = self.store.get(&digest).await?;
        let media_type = serde_json::from_slice::<serde_json::Value>(&manifest)
            .ok()
            .and_then(|m| m["mediaType"].as_str().map(str::to_string))
            .unwrap_or_else(|| flareo_attest::cosign::OCI_MANIFEST.to_string());
        let Some((_, sbom_digest)) = self.db.scan_results(sub.id).await? else {
            return Ok(Err(
                "nothing to sign: the build has no SBOM (scan step missing)".into(),
            ));
        };
        let sbom = self.json_blob("SBOM", &sbom_digest).await?;
        let statements = self.db.vex_statements(&sub.slug).await?;
        let public_url = self.signing.public_url.clone();
        let vex = (!statements.is_empty()).then(|| {
            let id = format!("{public_url}/api/v1/modules/{}/vex", sub.slug);
            flareo_scan::vex::document(&id, "Flareo reviewers", &statements)
        });
        let texts = self.db.submission_texts(sub.id).await?;
        let source_repo = flareo_recipe::parse(&texts.recipe)
            .ok()
            .map(|r| r.upstream.source.clone());
        let bases = {
            let cache = flareo_build::BaseCache::new(&self.engine);
            flareo_build::bases::bases_of(&cache, &texts.dockerfile).unwrap_or_default()
        };
        let reference = format!("{}/{}", self.signing.registry_host, sub.slug);
        let now = crate::signing::rfc3339(std::time::SystemTime::now());
        let started = crate::signing::rfc3339(
            std::time::UNIX_EPOCH + Duration::from_millis(sub.created_at.max(0) as u64),
        );
        let facts = flareo_attest::intoto::BuildFacts {
            image_name: reference.clone(),
            image_sha256: digest.hex().to_string(),
            builder_id: self.signing.builder_id.clone(),
            source_repo: source_repo.clone(),
            tag: sub.tag.clone(),
            commit: None,
            context_sha256: sub.context_digest.trim_start_matches("sha256:").to_string(),
            dockerfile: "Dockerfile".into(),
            requires_network: sub.requires_network,
            base_images: bases,
            invocation_id: format!("{public_url}/api/v1/submissions/{}", sub.id),
            started_on: started,
            finished_on: now,
            slug: sub.slug.clone(),
        };
        let mut extras = vec![
            (
                flareo_attest::ca::OID_SOURCE_REPOSITORY_REF.to_string(),
                sub.tag.clone(),
            ),
            (
                flareo_attest::ca::OID_RUN_INVOCATION_URI.to_string(),
                facts.invocation_id.clone(),
            ),
        ];
        if let Some(repo) = &source_repo {
            extras.push((
                flareo_attest::ca::OID_SOURCE_REPOSITORY_URI.to_string(),
                repo.clone(),
            ));
        }
        let identity = flareo_attest::ca::Identity {
            san: flareo_attest::ca::San::Uri(self.signing.builder_id.clone()),
            issuer: self.signing.issuer.clone(),
            extras,
        };
        let what = crate::signing::ToSign {
            reference: &reference,
            digest: &outputs.image_digest,
            media_type: &media_type,
            size: manifest.len() as u64,
            facts,
            sbom,
            vex,
        };
        let signed = match crate::signing::sign_build(
            self.signing.signer.as_ref(),
            &identity,
            &what,
        )
        .await
        {
            Ok(s) => s,
            Err(e) => return Ok(Err(format!("signing failed: {e}"))),
        };
        for (artifact, tag) in &signed.artifacts {
            for blob in &artifact.blobs {
                self.store.put(bytes::Bytes::from(blob.clone())).await?;
            }
            self.store
                .put(bytes::Bytes::from(artifact.manifest.clone()))
                .await?;
            self.db
                .record_artifact(&sub.slug, &artifact.manifest, tag.as_deref())
                .await?;
        }
        let mut rows = Vec::new();
        for ((predicate_type, bundle), index) in signed.bundles.iter().zip(&signed.log_indexes) {
            let blob = serde_json::to_vec(bundle).expect("JSON");
            let d = self.store.put(bytes::Bytes::from(blob)).await?;
            rows.push((predicate_type.clone(), d.to_string(), *index));
        }
        self.db
            .record_signatures(&sub.slug, &outputs.image_digest, &rows)
            .await?;
        Ok(Ok(format!(
            "signed {} by {} and attested (SLSA provenance, SBOM{}): transparency log entries {:?}",
            outputs.image_digest,
            self.signing.builder_id,
            if what.vex.is_some() { ", VEX" } else { "" },
            signed.log_indexes
        )))
    }

    async fn publish(&self, job: &Job) -> Result<(), WorkerError> {
        let sub = self.db.submission(job.submission_id).await?;
        let texts = self.db.submission_texts(sub.id).await?;
        let outputs = self.db.build_outputs(job.id).await?.ok_or_else(|| {
            DbError::Conflict(format!("job {} has no build outputs to publish", job.id))
        })?;
        let recipe = match flareo_recipe::parse(&texts.recipe) {
            Ok(r) => r,
            Err(e) => {
                let error = format!(
                    "recipe no longer valid: {}",
                    e.0.first().map(|p| p.message.clone()).unwrap_or_default()
                );
                return self.fail(job, &sub.slug, &error).await;
            }
        };
        let pull_url = format!(
            "{}/{}@{}",
            self.signing.registry_host, sub.slug, outputs.image_digest
        );
        if let Some(push) = &self.signing.push
            && let Err(error) = self
                .push(push, &sub.slug, &sub.tag, &outputs.image_digest)
                .await
        {
            return self.fail(job, &sub.slug, &error).await;
        }
        let mail =
            crate::mail::build_published(&sub.slug, sub.id, &outputs.image_digest, &pull_url);
        let published = self
            .db
            .publish(&Publication {
                job_id: job.id,
                worker: &self.id,
                submission_id: sub.id,
                name: &recipe.name,
                author: &recipe.author,
                category: recipe.category.as_str(),
                license: recipe.license.as_str(),
                digest: &outputs.image_digest,
                pull_url: &pull_url,
                mail,
            })
            .await?;
        if published {
            tracing::info!(worker = %self.id, slug = %sub.slug, digest = %outputs.image_digest, "published");
        }
        Ok(())
    }

    /// Pushes the image, its cosign `.sig`/`.att` manifests, its OCI 1.1 referrers
    /// and a referrers-tag index (`sha256-<hex>`, for registries without the
    /// referrers API) to the configured registry; `Err` says what failed.
    async fn push(
        &self,
        push: &crate::signing::PushConfig,
        slug: &str,
        tag: &str,
        digest: &str,
    ) -> Result<(), String> {
        use flareo_oci::registry_client::RegistryClient;
        let (registry, _) = push.split();
        let repo = push.repository(slug);
        let fail = |e: &dyn std::fmt::Display| format!("pushing to {}: {e}", push.registry);
        let client = RegistryClient::new(&registry, push.credentials()).map_err(|e| fail(&e))?;
        let image: Digest = digest.parse().map_err(|e| fail(&format!("{e:?}")))?;
        client
            .push_image(&self.store, &image, &repo, tag)
            .await
            .map_err(|e| fail(&e))?;
        for tag in [
            flareo_attest::cosign::signature_tag(digest),
            flareo_attest::cosign::attestation_tag(digest),
        ] {
            if let Some(d) = self
                .db
                .registry_tag(slug, &tag)
                .await
                .map_err(|e| fail(&e))?
            {
                client
                    .push_image(&self.store, &d, &repo, &tag)
                    .await
                    .map_err(|e| fail(&e))?;
            }
        }
        let referrers = self
            .db
            .registry_referrers(slug, &image)
            .await
            .map_err(|e| fail(&e))?;
        for r in &referrers {
            client
                .push_image(&self.store, &r.digest, &repo, r.digest.as_str())
                .await
                .map_err(|e| fail(&e))?;
        }
        let index = crate::registry::referrers_index(&referrers);
        client
            .put_manifest(
                &repo,
                &digest.replace(':', "-"),
                flareo_oci::manifest::OCI_INDEX,
                bytes::Bytes::from(serde_json::to_vec(&index).expect("JSON")),
            )
            .await
            .map_err(|e| fail(&e))?;
        Ok(())
    }

    async fn fail(&self, job: &Job, slug: &str, error: &str) -> Result<(), WorkerError> {
        tracing::warn!(worker = %self.id, job = job.id, %error, "build failed");
        let mail = crate::mail::build_failed(slug, job.submission_id, error);
        self.db
            .fail_build(job.id, &self.id, job.submission_id, error, mail)
            .await?;
        Ok(())
    }
}

/// Writes log lines to the database in batches as they arrive.
async fn write_log(db: Db, submission: i64, mut rx: mpsc::UnboundedReceiver<String>) {
    let mut batch = Vec::new();
    while let Some(line) = rx.recv().await {
        batch.push(line);
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
            if batch.len() >= 500 {
                break;
            }
        }
        if let Err(e) = db.append_log(submission, &batch).await {
            tracing::warn!(error = %e, "storing build log lines");
        }
        batch.clear();
    }
}

/// The purl VEX statements name an image by.
fn product_purl(slug: &str, digest: &str) -> String {
    flareo_scan::catalog::purl::purl("oci", None, slug, digest, &[])
}

/// The scan report stored as a blob and served at `/vulnerabilities`: OS,
/// packages with their layers, findings after VEX, secrets, and what caused it.
fn scan_report(
    os: &flareo_scan::catalog::OsRelease,
    packages: &[flareo_scan::catalog::image::LayeredPackage],
    evaluation: &flareo_scan::evaluate::Evaluation,
    secrets: serde_json::Value,
    trigger: &str,
) -> serde_json::Value {
    serde_json::json!({
        "os": {"id": os.id, "version_id": os.version_id, "pretty_name": os.pretty_name},
        "packages": packages.iter().map(|p| serde_json::json!({
            "name": p.package.name, "version": p.package.version, "purl": p.package.purl,
            "licenses": p.package.licenses, "location": p.package.location, "layer": p.layer,
        })).collect::<Vec<_>>(),
        // Advisories consulted: those naming the image's packages.
        "advisories": evaluation.advisories,
        "findings": evaluation.findings,
        "secrets": secrets,
        "verdict": match &evaluation.verdict {
            Ok(()) => serde_json::json!({"status": "pass"}),
            Err(reason) => serde_json::json!({"status": "fail", "reason": reason}),
        },
        "trigger": trigger,
        "evaluated_at": crate::db::now_ms(),
    })
}
