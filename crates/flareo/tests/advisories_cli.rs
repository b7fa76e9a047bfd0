//! `flareo advisories import` and `status` end to end: the real binary on a SQLite
//! database in a temporary data directory, OSV fixtures from flareo-scan.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../flareo-scan/tests/data/osv")
}

fn flareo(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flareo"))
        .args(args)
        .env_remove("FLAREO_CONFIG")
        .env(
            "FLAREO_DATABASE_URL",
            format!("sqlite://{}/f.db?mode=rwc", data.display()),
        )
        .env("FLAREO_DATA_DIR", data)
        .output()
        .expect("run flareo")
}

/// Runs a command printing JSON; returns its exit code and the JSON.
fn flareo_json(data: &Path, args: &[&str]) -> (i32, Value) {
    let out = flareo(data, args);
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not one JSON object ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), json)
}

#[test]
fn import_and_status() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path();
    let fixtures = fixtures();
    let fixtures = fixtures.to_str().expect("utf-8 path");

    let (code, status) = flareo_json(data, &["advisories", "status", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(status["advisories"], 0);
    assert_eq!(status["last_import"], Value::Null);

    let (code, report) = flareo_json(data, &["advisories", "import", fixtures, "--json"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        report,
        json!({"added": 11, "updated": 0, "unchanged": 0, "failed": []})
    );

    // A newer record beside a malformed one: the rest is imported, exit 1.
    let changed = data.join("changed");
    std::fs::create_dir_all(&changed).expect("mkdir");
    let mut dsa: Value = serde_json::from_slice(
        &std::fs::read(Path::new(fixtures).join("DSA-5700-1.json")).expect("fixture"),
    )
    .expect("json");
    dsa["modified"] = "2024-07-01T00:00:00Z".into();
    std::fs::write(changed.join("DSA-5700-1.json"), dsa.to_string()).expect("write");
    std::fs::copy(
        Path::new(fixtures).join("DSA-5704-1.json"),
        changed.join("DSA-5704-1.json"),
    )
    .expect("copy");
    std::fs::write(changed.join("broken.json"), "{\"id\": \"X\"}").expect("write");
    let changed = changed.to_str().expect("utf-8 path");
    let (code, report) = flareo_json(data, &["advisories", "import", changed, "--json"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        report,
        json!({
            "added": 0,
            "updated": 1,
            "unchanged": 1,
            "failed": [["broken.json", "invalid OSV JSON: missing field `modified` at line 1 column 11"]],
        })
    );

    // The same, as text.
    let out = flareo(data, &["advisories", "import", changed]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        stdout.ends_with(
            ": 0 added, 0 updated, 2 unchanged, 1 failed\n\
             failed: broken.json: invalid OSV JSON: missing field `modified` at line 1 column 11\n"
        ),
        "{stdout}"
    );

    let (code, status) = flareo_json(data, &["advisories", "status", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(status["advisories"], 11);
    assert_eq!(status["withdrawn"], 1);
    assert_eq!(status["latest_modified"], "2025-02-11T10:00:00Z");
    assert_eq!(
        status["ecosystems"],
        json!([
            {"ecosystem": "Alpine", "advisories": 1, "withdrawn": 0},
            {"ecosystem": "Debian", "advisories": 4, "withdrawn": 0},
            {"ecosystem": "Go", "advisories": 1, "withdrawn": 0},
            {"ecosystem": "PyPI", "advisories": 1, "withdrawn": 0},
            {"ecosystem": "crates.io", "advisories": 1, "withdrawn": 0},
            {"ecosystem": "npm", "advisories": 3, "withdrawn": 1},
        ])
    );
    let last = &status["last_import"];
    assert!(
        last["source"]
            .as_str()
            .expect("source")
            .ends_with("/changed"),
        "{last}"
    );
    assert_eq!(last["report"]["unchanged"], 2);
    assert!(last["at_ms"].as_i64().expect("at_ms") > 0);

    let out = flareo(data, &["advisories", "status"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        stdout.starts_with(
            "11 advisories (1 withdrawn), latest modified 2025-02-11T10:00:00Z\n\
             ECOSYSTEM        ADVISORIES  WITHDRAWN\n\
             Alpine                    1          0\n"
        ),
        "{stdout}"
    );

    // A path that is no source: an error, exit 2.
    let out = flareo(data, &["advisories", "import", "/nonexistent/osv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("reading advisories from /nonexistent/osv: reading /nonexistent/osv: "),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
