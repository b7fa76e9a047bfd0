//! Runs `cargo xtask tidy` as a test, so the suite enforces the invariants.

#[test]
fn workspace_is_tidy() {
    let problems = xtask::tidy(&xtask::workspace_root()).expect("tidy runs");
    assert!(
        problems.is_empty(),
        "tidy found problems:\n{}",
        problems.join("\n")
    );
}

#[test]
fn source_rules_catch_violations() {
    let root = tempfile::tempdir().expect("tempdir");
    let src = root.path().join("crates/flareo-shell/src");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(src.join("lib.rs"), "use std::process::Command;\n").expect("write");
    std::fs::write(src.join("ok.rs"), "//! Fine.\n").expect("write");
    let problems = xtask::source_rules(root.path()).expect("rules run");
    assert_eq!(
        problems,
        [
            "crates/flareo-shell/src/lib.rs: does not open with a //! line saying what it holds",
            "crates/flareo-shell/src/lib.rs: pure crate uses std::process",
            "crates/flareo-shell/src/lib.rs: pure crate root lacks #![forbid(unsafe_code)]",
        ]
    );
}
