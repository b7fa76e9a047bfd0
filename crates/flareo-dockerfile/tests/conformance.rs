//! Runs BuildKit's parser conformance cases from `shared/conformance/buildkit-parser`:
//! positive cases must dump exactly as `result`, negative cases must fail to parse.

use std::path::{Path, PathBuf};

/// The suite lives in the team's shared directory beside the clone; a clone elsewhere
/// finds it through `FLAREO_SHARED_DIR` or at `/work/shared`.
fn suite_dir() -> PathBuf {
    let candidates: Vec<PathBuf> = std::env::var_os("FLAREO_SHARED_DIR")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
            PathBuf::from("/work/shared"),
        ])
        .map(|d| d.join("conformance/buildkit-parser"))
        .collect();
    candidates
        .iter()
        .find(|d| d.is_dir())
        .cloned()
        .unwrap_or_else(|| {
            panic!("conformance suite not found (set FLAREO_SHARED_DIR); looked in {candidates:?}")
        })
}

fn cases(kind: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(suite_dir().join(kind))
        .expect("read conformance dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no {kind} cases found");
    dirs
}

#[test]
fn positive_cases_dump_as_buildkit() {
    let mut failures = Vec::new();
    for dir in cases("positive") {
        let src = std::fs::read(dir.join("Dockerfile")).expect("read Dockerfile");
        let expected = std::fs::read_to_string(dir.join("result")).expect("read result");
        match flareo_dockerfile::parse_bytes(&src) {
            Ok(file) => {
                let got = flareo_dockerfile::dump(&file);
                if got.trim_end() != expected.trim_end() {
                    failures.push(format!(
                        "{}:\n--- expected\n{expected}\n--- got\n{got}\n",
                        dir.display()
                    ));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", dir.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} positive cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn negative_cases_are_rejected() {
    for dir in cases("negative") {
        let src = std::fs::read(dir.join("Dockerfile")).expect("read Dockerfile");
        let parsed = flareo_dockerfile::parse_bytes(&src);
        assert!(
            parsed.is_err(),
            "{} parsed but must fail: {:?}",
            dir.display(),
            parsed.map(|f| flareo_dockerfile::dump(&f))
        );
    }
}
