//! One evaluation of an image's packages, the same at build time and on every
//! re-evaluation from a stored SBOM: match against the advisories, apply the
//! module's VEX, then the CRITICAL/HIGH gate over what VEX left.

use serde::Serialize;

use crate::catalog::OsRelease;
use crate::catalog::image::LayeredPackage;
use crate::matcher::{AdvisoryIndex, ImageFinding, gate, match_packages};
use crate::osv::Advisory;
use crate::vex::{EffectiveFinding, VexStatement, apply};

/// The outcome of one evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// Every finding, suppressed ones marked with the statement that did it.
    pub findings: Vec<EffectiveFinding>,
    /// How many advisories were consulted.
    pub advisories: usize,
    /// `Err` names what rejects the image (`Trivy found CRITICAL CVEs: ...`).
    pub verdict: Result<(), String>,
}

impl Evaluation {
    /// The findings VEX did not suppress.
    pub fn effective(&self) -> impl Iterator<Item = &ImageFinding> {
        self.findings
            .iter()
            .filter(|f| f.suppressed_by.is_none())
            .map(|f| &f.finding)
    }
}

/// Evaluates `packages` of the image `product` (its purl, which VEX statements
/// name) whose OS is `os`.
pub fn evaluate(
    advisories: &[Advisory],
    packages: &[LayeredPackage],
    os: &OsRelease,
    product: &str,
    statements: &[VexStatement],
) -> Evaluation {
    let index = AdvisoryIndex::new(advisories);
    let mut evaluation = Evaluation {
        findings: apply(product, match_packages(&index, packages, os), statements),
        advisories: index.len(),
        verdict: Ok(()),
    };
    let effective: Vec<ImageFinding> = evaluation.effective().cloned().collect();
    evaluation.verdict = gate(&effective);
    evaluation
}
