//! `flareo lint` end to end: the real binary on module directories written to disk.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn flareo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flareo"))
        .args(args)
        .output()
        .expect("run flareo")
}

fn module(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    }
    dir
}

fn lint_json(dir: &Path) -> (i32, Value) {
    let out = flareo(&["lint", "--json", dir.to_str().expect("utf-8 path")]);
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let json: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {stdout}"));
    (out.status.code().expect("exit code"), json)
}

const RECIPE: &str = "slug: demo\nname: Demo\nauthor: Me\ncategory: productivity\nlicense: MIT\nupstream:\n  source: https://example.com/demo.git\n  ref_pattern: \"v*.*.*\"\n  entry: ./docker/Dockerfile\nruntime:\n  ports: [8080]\n";

const GOOD: &str = "FROM alpine:3.19\nLABEL org.opencontainers.image.source=s org.opencontainers.image.licenses=MIT org.opencontainers.image.description=d\nUSER app\nHEALTHCHECK CMD true\nENTRYPOINT [\"/app\"]\n";

#[test]
fn bundled_example_is_accepted() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let out = flareo(&[
        "lint",
        "--json",
        "--config",
        examples.join("flareo-config.yaml").to_str().unwrap(),
        examples.join("hello").to_str().unwrap(),
    ]);
    let code = out.status.code().expect("exit code");
    let json: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["verdict"], "accept");
    assert_eq!(json["build_path"], "dockerfile");
    let codes: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["FL502"], "only the digest-pin warning: {json:#}");
}

#[test]
fn rejection_exits_1_with_findings_in_json() {
    let dir = module(&[("Dockerfile", &format!("{GOOD}RUN apk add curl\n"))]);
    let (code, json) = lint_json(dir.path());
    assert_eq!(code, 1);
    assert_eq!(json["verdict"], "reject");
    let f = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "FL201")
        .expect("FL201 finding");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["file"], "Dockerfile");
    assert_eq!(f["line"], 6);
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .starts_with("network disabled during build: "),
        "{f}"
    );
    assert!(!f["hint"].as_str().unwrap().is_empty());
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["build_path", "findings", "verdict"]);
}

#[test]
fn recipe_entry_selects_the_dockerfile() {
    let dir = module(&[
        ("flareo.yaml", RECIPE),
        ("docker/Dockerfile", GOOD),
        ("Dockerfile", "FROM evil/image:1\n"),
    ]);
    let (code, json) = lint_json(dir.path());
    assert_eq!(code, 0, "{json:#}");
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["file"] == "docker/Dockerfile"),
        "{json:#}"
    );
}

#[test]
fn recipe_problems_are_findings_with_lines() {
    let bad = RECIPE.replace("slug: demo", "slug: Demo_App");
    let dir = module(&[("flareo.yaml", &bad), ("docker/Dockerfile", GOOD)]);
    let (code, json) = lint_json(dir.path());
    assert_eq!(code, 1);
    let f = &json["findings"][0];
    assert_eq!(f["file"], "flareo.yaml");
    assert_eq!(f["line"], 1);
    assert_eq!(f["severity"], "error");
    assert!(f["code"].as_str().unwrap().starts_with('R'), "{f}");
}

#[test]
fn buildpack_path_and_no_path() {
    let dir = module(&[("package.json", "{}")]);
    let (code, json) = lint_json(dir.path());
    assert_eq!(
        (code, json["build_path"].as_str()),
        (0, Some("buildpack:paketobuildpacks/nodejs"))
    );

    let dir = module(&[("README.md", "hi")]);
    let (code, json) = lint_json(dir.path());
    assert_eq!(code, 1);
    assert_eq!(json["build_path"], Value::Null);
    assert_eq!(json["findings"][0]["code"], "FL701");
}

#[test]
fn parse_error_uses_the_seed_wording() {
    let dir = module(&[("Dockerfile", "FROM alpine:3.19\nENV PATH\n")]);
    let (code, json) = lint_json(dir.path());
    assert_eq!(code, 1);
    assert_eq!(
        json["findings"][0]["message"],
        "Dockerfile parse error on line 2: ENV must have two arguments"
    );
    assert_eq!(json["findings"][0]["line"], 2);
}

#[test]
fn human_output_is_compiler_like() {
    let dir = module(&[("Dockerfile", &format!("{GOOD}RUN apk add curl\n"))]);
    let out = flareo(&["lint", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("error[FL201]: network disabled during build: "),
        "{text}"
    );
    assert!(text.contains("  --> Dockerfile:6\n"), "{text}");
    assert!(text.contains("6 | RUN apk add curl\n"), "{text}");
    assert!(text.contains("  = hint: "), "{text}");
    assert!(
        text.ends_with("reject: 1 error, 1 warning (build path: dockerfile)\n"),
        "{text}"
    );
}

#[test]
fn operator_config_adds_bases() {
    let dir = module(&[(
        "Dockerfile",
        &GOOD.replace("alpine:3.19", "ghcr.io/acme/base:2"),
    )]);
    let (code, _) = lint_json(dir.path());
    assert_eq!(code, 1);
    let cfg = module(&[(
        "flareo-config.yaml",
        "approved_bases:\n  - image: ghcr.io/acme/base:2\n",
    )]);
    let cfg_path = cfg.path().join("flareo-config.yaml");
    let out = flareo(&[
        "lint",
        "--json",
        "--config",
        cfg_path.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(
        flareo(&["lint", "/nonexistent/module"]).status.code(),
        Some(2)
    );
    assert_eq!(flareo(&["lint", "--bogus"]).status.code(), Some(2));
    let cfg = module(&[("c.yaml", "approved_bases: 7\n")]);
    let dir = module(&[("Dockerfile", GOOD)]);
    let out = flareo(&[
        "lint",
        "--config",
        cfg.path().join("c.yaml").to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("parsing config"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
