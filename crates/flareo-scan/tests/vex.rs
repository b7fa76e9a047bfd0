//! VEX: statement rules, application to findings (suppressed findings stay
//! visible), and the OpenVEX 0.2.0 document checked by shared/validators.

use flareo_scan::matcher::ImageFinding;
use flareo_scan::osv::Finding;
use flareo_scan::severity::Severity;
use flareo_scan::version::Ecosystem;
use flareo_scan::vex::{VexError, VexStatement, VexStatus, apply, document};

const IMAGE: &str = "pkg:oci/hello@sha256:abab?tag=v1";

fn finding(id: &str, aliases: &[&str], purl: &str) -> ImageFinding {
    ImageFinding {
        finding: Finding {
            id: id.into(),
            advisories: vec![format!("DSA-{id}")],
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            ecosystem: Ecosystem::Debian,
            package: "zlib".into(),
            version: "1.2".into(),
            fixed: None,
            severity: Severity::Critical,
            assumed: false,
        },
        installed: "zlib1g".into(),
        purl: purl.into(),
        layer: 0,
    }
}

fn statement(vuln: &str, status: VexStatus, sub: Option<&str>) -> VexStatement {
    VexStatement {
        vulnerability: vuln.into(),
        product: "pkg:oci/hello@sha256:abab".into(),
        subcomponent: sub.map(Into::into),
        status,
        justification: (status == VexStatus::NotAffected)
            .then(|| "vulnerable_code_not_in_execute_path".into()),
        impact_statement: None,
        action_statement: (status == VexStatus::Affected).then(|| "upgrade zlib1g".into()),
        author: "rev@example.test".into(),
        timestamp: "2026-11-23T10:00:00Z".into(),
    }
}

#[test]
fn suppression_rules() {
    let zlib = "pkg:deb/debian/zlib1g@1.2?arch=amd64&distro=debian-12";
    let findings = vec![
        finding("CVE-1", &[], zlib),
        finding("CVE-2", &["GHSA-2"], zlib),
        finding("CVE-3", &[], zlib),
        finding("CVE-4", &[], zlib),
        finding("CVE-5", &[], zlib),
    ];
    let statements = vec![
        statement("CVE-1", VexStatus::NotAffected, None),
        statement(
            "GHSA-2",
            VexStatus::Fixed,
            Some("pkg:deb/debian/zlib1g@1.2"),
        ),
        statement("CVE-3", VexStatus::Affected, None),
        statement(
            "CVE-4",
            VexStatus::NotAffected,
            Some("pkg:deb/debian/openssl@3"),
        ),
        statement("CVE-5", VexStatus::NotAffected, None),
        statement("CVE-5", VexStatus::UnderInvestigation, None),
    ];
    let out = apply(IMAGE, findings, &statements);
    let suppressed: Vec<bool> = out.iter().map(|f| f.suppressed_by.is_some()).collect();
    assert_eq!(
        suppressed,
        [true, true, false, false, false],
        "not_affected and fixed suppress (aliases and qualifier-less subcomponents match); affected, another subcomponent and a later under_investigation do not"
    );
    assert_eq!(out.len(), 5, "suppressed findings stay visible");
    assert_eq!(
        out[0].suppressed_by.as_ref().unwrap().status,
        VexStatus::NotAffected
    );
    let other = apply(
        "pkg:oci/other@sha256:cd",
        vec![finding("CVE-1", &[], zlib)],
        &statements,
    );
    assert!(
        other[0].suppressed_by.is_none(),
        "another product is not covered"
    );
}

#[test]
fn statement_rules_and_document_validate() {
    let mut s = statement("CVE-1", VexStatus::NotAffected, None);
    s.justification = None;
    assert_eq!(s.check(), Err(VexError::MissingJustification));
    s.justification = Some("because".into());
    assert!(matches!(s.check(), Err(VexError::UnknownJustification(_))));
    let mut a = statement("CVE-1", VexStatus::Affected, None);
    a.action_statement = None;
    assert_eq!(a.check(), Err(VexError::MissingAction));
    let mut f = statement("CVE-1", VexStatus::Fixed, None);
    f.justification = Some("component_not_present".into());
    assert_eq!(f.check(), Err(VexError::JustificationNotAllowed));
    let mut p = statement("CVE-1", VexStatus::Fixed, None);
    p.product = "hello".into();
    assert!(matches!(p.check(), Err(VexError::NotAPurl(_))));

    let statements = vec![
        statement(
            "CVE-1",
            VexStatus::NotAffected,
            Some("pkg:deb/debian/zlib1g@1.2?arch=amd64"),
        ),
        statement("CVE-3", VexStatus::Affected, None),
        statement("CVE-4", VexStatus::Fixed, None),
        statement("CVE-5", VexStatus::UnderInvestigation, None),
    ];
    for s in &statements {
        s.check().unwrap();
    }
    let doc = document(
        "https://flareo.example/vex/hello",
        "Flareo reviewers",
        &statements,
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vex.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    if let Err(out) = flareo_testkit::validate("validate-openvex", &file, &["--strict-context"]) {
        panic!("validate-openvex rejected the document:\n{out}\n{doc:#}");
    }
    // The validator is not a rubber stamp: a not_affected statement without a
    // justification is refused.
    let mut bad = doc.clone();
    bad["statements"][0]
        .as_object_mut()
        .unwrap()
        .remove("justification");
    std::fs::write(&file, serde_json::to_vec_pretty(&bad).unwrap()).unwrap();
    assert!(flareo_testkit::validate("validate-openvex", &file, &["--strict-context"]).is_err());
}
