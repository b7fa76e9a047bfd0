//! `check_module` on in-memory trees: which Dockerfile is linted, how recipe
//! problems and syntax errors become findings, and the verdict they give.

use flareo_dockerfile::rules::{LintConfig, MemoryContext, Severity};
use flareo_lint::{Verdict, check_module};

const RECIPE: &str = "slug: demo\nname: Demo\nauthor: Me\ncategory: productivity\nlicense: MIT\nupstream:\n  source: https://example.com/demo.git\n  ref_pattern: \"v*.*.*\"\n  entry: ./build/Dockerfile\n";

const GOOD: &str = "FROM alpine:3.19@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nLABEL org.opencontainers.image.source=s org.opencontainers.image.licenses=MIT org.opencontainers.image.description=d\nUSER app\nHEALTHCHECK CMD true\nENTRYPOINT [\"/app\"]\n";

fn codes(tree: &MemoryContext) -> (Verdict, Option<String>, Vec<(String, String, usize)>) {
    let report = check_module(tree, &LintConfig::default());
    let found = report
        .findings
        .iter()
        .map(|f| (f.code.to_string(), f.file.clone(), f.line))
        .collect();
    (report.verdict, report.build_path, found)
}

#[test]
fn recipe_entry_is_the_dockerfile_linted() {
    // The root Dockerfile is bad, the entry's is clean: only the entry counts.
    let tree = MemoryContext::new([
        ("flareo.yaml", RECIPE),
        ("build/Dockerfile", GOOD),
        ("Dockerfile", "FROM evil/image:1\n"),
    ]);
    let (verdict, path, found) = codes(&tree);
    assert_eq!(verdict, Verdict::Accept, "{found:?}");
    assert_eq!(path.as_deref(), Some("dockerfile"));
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn missing_entry_names_what_was_looked_for() {
    let tree = MemoryContext::new([("flareo.yaml", RECIPE), ("Dockerfile", GOOD)]);
    let report = check_module(&tree, &LintConfig::default());
    assert_eq!(report.verdict, Verdict::Reject);
    assert_eq!(report.build_path, None);
    let f = &report.findings[0];
    assert_eq!(f.code, "FL701");
    assert!(f.message.contains("build/Dockerfile"), "{}", f.message);
    assert!(f.message.contains("package.json"), "{}", f.message);
}

#[test]
fn recipe_problems_and_dockerfile_findings_are_reported_together() {
    let recipe = RECIPE.replace("license: MIT", "license: NOT-A-LICENSE");
    let tree = MemoryContext::new([
        ("flareo.yaml", recipe.as_str()),
        ("Dockerfile", "FROM evil/image:1\nENTRYPOINT [\"/x\"]\n"),
    ]);
    let (verdict, path, found) = codes(&tree);
    assert_eq!(verdict, Verdict::Reject);
    // An invalid recipe falls back to the default entry so the Dockerfile is still checked.
    assert_eq!(path.as_deref(), Some("dockerfile"));
    assert_eq!(found[0].1, "flareo.yaml");
    assert_eq!(found[0].2, 5, "the license line: {found:?}");
    assert!(
        found
            .iter()
            .any(|(c, file, line)| c == "FL101" && file == "Dockerfile" && *line == 1),
        "{found:?}"
    );
}

#[test]
fn syntax_errors_are_one_fl001_at_their_line() {
    let tree = MemoryContext::new([("Dockerfile", "FROM alpine:3.19\nRUN true\nFROOM x\n")]);
    let report = check_module(&tree, &LintConfig::default());
    assert_eq!(report.verdict, Verdict::Reject);
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    let f = &report.findings[0];
    assert_eq!((f.code, f.line), ("FL001", 3));
    assert!(
        f.message.starts_with("Dockerfile parse error on line 3:"),
        "{}",
        f.message
    );
}

#[test]
fn warnings_alone_accept() {
    let tree = MemoryContext::new([("Dockerfile", "FROM alpine:3.19\nENTRYPOINT [\"/x\"]\n")]);
    let report = check_module(&tree, &LintConfig::default());
    assert_eq!(report.verdict, Verdict::Accept);
    assert!(
        report.count(Severity::Warning) >= 3,
        "{:?}",
        report.findings
    );
    assert_eq!(report.count(Severity::Error), 0);
}
