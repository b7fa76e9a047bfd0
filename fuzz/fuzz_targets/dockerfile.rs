//! Fuzzes the Dockerfile front end: parse, dump, check and lint must never panic,
//! and every node spans at least one real line.
#![no_main]

use flareo_dockerfile::rules::{LintConfig, MemoryContext};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = flareo_dockerfile::parse_bytes(data) else { return };
    let _ = flareo_dockerfile::dump(&file);
    for node in &file.nodes {
        assert!(node.start_line >= 1 && node.start_line <= node.end_line, "bad span {node:?}");
    }
    if let Ok(program) = flareo_dockerfile::check(&file) {
        let ctx = MemoryContext::new([(".dockerignore", ".git\n"), ("a/.env", "x")]);
        let _ = flareo_dockerfile::lint(&program, &ctx, &LintConfig::default(), "Dockerfile");
    }
});
