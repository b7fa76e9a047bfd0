//! VEX per OpenVEX 0.2.0: reviewers' statements about a vulnerability in a
//! product (the image's purl, optionally narrowed to a subcomponent's purl), the
//! document Flareo serves, and applying statements to findings: `not_affected` and
//! `fixed` suppress a matching finding, which stays visible, marked with the
//! statement that suppressed it; `affected` and `under_investigation` never
//! suppress.

use serde::{Deserialize, Serialize};

use crate::matcher::ImageFinding;

/// A statement's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    /// Not exploitable in this product (needs a justification or impact statement).
    NotAffected,
    /// Exploitable (needs an action statement).
    Affected,
    /// Fixed in this product.
    Fixed,
    /// Being looked at.
    UnderInvestigation,
}

impl VexStatus {
    /// The OpenVEX name (`not_affected`, `affected`, `fixed`, `under_investigation`).
    pub fn as_str(self) -> &'static str {
        match self {
            VexStatus::NotAffected => "not_affected",
            VexStatus::Affected => "affected",
            VexStatus::Fixed => "fixed",
            VexStatus::UnderInvestigation => "under_investigation",
        }
    }
}

/// OpenVEX's justifications for `not_affected`.
pub const JUSTIFICATIONS: [&str; 5] = [
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

/// One reviewer statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexStatement {
    /// The vulnerability (CVE or advisory id).
    pub vulnerability: String,
    /// The product's purl (the image).
    pub product: String,
    /// A subcomponent's purl (the package), when the statement is narrower.
    pub subcomponent: Option<String>,
    /// Status.
    pub status: VexStatus,
    /// Justification (`not_affected` only; one of [`JUSTIFICATIONS`]).
    pub justification: Option<String>,
    /// Impact statement (`not_affected`).
    pub impact_statement: Option<String>,
    /// Action statement (`affected`).
    pub action_statement: Option<String>,
    /// Who wrote it.
    pub author: String,
    /// When, RFC 3339.
    pub timestamp: String,
}

/// A statement that breaks OpenVEX's rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VexError {
    /// `not_affected` needs a justification or an impact statement.
    #[error("not_affected needs --justification (one of {}) or an impact statement", JUSTIFICATIONS.join(", "))]
    MissingJustification,
    /// An unknown justification.
    #[error("unknown justification {0:?}; one of {all}", all = JUSTIFICATIONS.join(", "))]
    UnknownJustification(String),
    /// A justification on a status other than `not_affected`.
    #[error("a justification is only allowed with not_affected")]
    JustificationNotAllowed,
    /// `affected` needs an action statement.
    #[error("affected needs an action statement (what users should do)")]
    MissingAction,
    /// The product or subcomponent is not a purl.
    #[error("{0:?} is not a package URL (pkg:...)")]
    NotAPurl(String),
    /// No vulnerability named.
    #[error("a statement needs a vulnerability id")]
    MissingVulnerability,
}

impl VexStatement {
    /// Checks OpenVEX's rules.
    pub fn check(&self) -> Result<(), VexError> {
        if self.vulnerability.trim().is_empty() {
            return Err(VexError::MissingVulnerability);
        }
        for purl in std::iter::once(&self.product).chain(self.subcomponent.iter()) {
            if !purl.starts_with("pkg:") || !purl[4..].contains('/') {
                return Err(VexError::NotAPurl(purl.clone()));
            }
        }
        if let Some(j) = &self.justification {
            if self.status != VexStatus::NotAffected {
                return Err(VexError::JustificationNotAllowed);
            }
            if !JUSTIFICATIONS.contains(&j.as_str()) {
                return Err(VexError::UnknownJustification(j.clone()));
            }
        }
        match self.status {
            VexStatus::NotAffected
                if self.justification.is_none() && self.impact_statement.is_none() =>
            {
                Err(VexError::MissingJustification)
            }
            VexStatus::Affected if self.action_statement.is_none() => Err(VexError::MissingAction),
            _ => Ok(()),
        }
    }

    /// Whether this statement is about `finding` in `product`: same product (any
    /// version when the statement's product has none), the
    /// vulnerability is the finding's id, one of its advisories or aliases, and the
    /// subcomponent (when given) is the finding's package (purl compared without
    /// qualifiers).
    pub fn applies_to(&self, product: &str, finding: &ImageFinding) -> bool {
        let base = |p: &str| p.split(['?', '#']).next().unwrap_or(p).to_string();
        let unversioned = |p: &str| base(p).split('@').next().unwrap_or_default().to_string();
        // A product without a version (`pkg:oci/hello`) covers every build of the image.
        let same_product = if base(&self.product).contains('@') {
            base(&self.product) == base(product)
        } else {
            unversioned(&self.product) == unversioned(product)
        };
        let f = &finding.finding;
        same_product
            && (f.id == self.vulnerability
                || f.advisories.contains(&self.vulnerability)
                || f.aliases.contains(&self.vulnerability))
            && self
                .subcomponent
                .as_deref()
                .is_none_or(|s| base(s) == base(&finding.purl))
    }
}

/// A finding after VEX: suppressed ones stay, marked with their statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EffectiveFinding {
    /// The finding.
    #[serde(flatten)]
    pub finding: ImageFinding,
    /// The statement that suppressed it, if any.
    pub suppressed_by: Option<VexStatement>,
}

/// Applies `statements` (oldest first; the latest statement about a finding
/// decides) to the findings of `product`.
pub fn apply(
    product: &str,
    findings: Vec<ImageFinding>,
    statements: &[VexStatement],
) -> Vec<EffectiveFinding> {
    findings
        .into_iter()
        .map(|finding| {
            let decisive = statements
                .iter()
                .rev()
                .find(|s| s.applies_to(product, &finding));
            let suppressed_by = decisive
                .filter(|s| matches!(s.status, VexStatus::NotAffected | VexStatus::Fixed))
                .cloned();
            EffectiveFinding {
                finding,
                suppressed_by,
            }
        })
        .collect()
}

/// The OpenVEX 0.2.0 document of a module's statements. `id` names the document;
/// `version` counts its revisions (one per statement written).
pub fn document(id: &str, author: &str, statements: &[VexStatement]) -> serde_json::Value {
    let timestamp = statements
        .iter()
        .map(|s| s.timestamp.as_str())
        .max()
        .unwrap_or("1970-01-01T00:00:00Z");
    let statements: Vec<serde_json::Value> = statements
        .iter()
        .map(|s| {
            let mut product =
                serde_json::json!({"@id": s.product, "identifiers": {"purl": s.product}});
            if let Some(sub) = &s.subcomponent {
                product["subcomponents"] =
                    serde_json::json!([{"@id": sub, "identifiers": {"purl": sub}}]);
            }
            let mut st = serde_json::json!({
                "vulnerability": {"name": s.vulnerability},
                "timestamp": s.timestamp,
                "products": [product],
                "status": s.status,
            });
            if let Some(j) = &s.justification {
                st["justification"] = j.clone().into();
            }
            if let Some(i) = &s.impact_statement {
                st["impact_statement"] = i.clone().into();
            }
            if let Some(a) = &s.action_statement {
                st["action_statement"] = a.clone().into();
            }
            st
        })
        .collect();
    serde_json::json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": id,
        "author": author,
        "timestamp": timestamp,
        "version": statements.len().max(1),
        "statements": statements,
    })
}
