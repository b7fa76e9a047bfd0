//! Fuzzes the Dockerfile front end: parse, dump, check and lint must never panic,
//! every node spans at least one real line, and lowering yields a parseable file.
#![no_main]

use flareo_dockerfile::rules::{LintConfig, MemoryContext};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = flareo_dockerfile::parse_bytes(data) else {
        return;
    };
    let _ = flareo_dockerfile::dump(&file);
    for node in &file.nodes {
        assert!(
            node.start_line >= 1 && node.start_line <= node.end_line,
            "bad span {node:?}"
        );
    }
    if let Ok(program) = flareo_dockerfile::check(&file) {
        let ctx = MemoryContext::new([(".dockerignore", ".git\n"), ("a/.env", "x")]);
        let _ = flareo_dockerfile::lint(&program, &ctx, &LintConfig::default(), "Dockerfile");
        // Lowering never panics, and what it produces parses again without heredocs.
        let pin = |r: &flareo_dockerfile::ImageRef| Ok(format!("localhost/{}", r.familiar()));
        if let Ok(lowered) = flareo_dockerfile::lower(&program, &pin) {
            let again = flareo_dockerfile::parse(&lowered.dockerfile).unwrap_or_else(|e| {
                panic!("lowered output does not parse: {e}\n{}", lowered.dockerfile)
            });
            assert!(
                again.nodes.iter().all(|n| n.heredocs.is_empty()),
                "{}",
                lowered.dockerfile
            );
        }
    }
});
