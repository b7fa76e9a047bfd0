//! Parse + lint throughput on a corpus of generated and real-world-shaped
//! Dockerfiles, reported as ratios against a reference run in the same process:
//! the `parse-dockerfile` crate (a peer parser) parsing the same corpus.
//!
//! Run: `cargo bench -p flareo-dockerfile --bench parse_lint`.
//! Rounds alternate between the workloads so machine noise hits all of them alike.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use flareo_dockerfile::rules::{LintConfig, MemoryContext};

/// Real-world-shaped files: the conformance sample and the bundled example.
fn real_world() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let suite = root.join("../../../shared/conformance/buildkit-parser/positive");
    if let Ok(dirs) = std::fs::read_dir(&suite) {
        for d in dirs.flatten() {
            if let Ok(text) = std::fs::read_to_string(d.path().join("Dockerfile")) {
                out.push(text);
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(root.join("../../examples/hello/Dockerfile")) {
        out.push(text);
    }
    out
}

/// Generated multi-stage files with continuations, heredocs, ENV/LABEL pairs and RUN scripts.
fn generated(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let mut s = String::from("# syntax=docker/dockerfile:1\nARG BASE=golang:1.22\nFROM ${BASE} AS builder\nWORKDIR /src\n");
            for j in 0..(5 + i % 20) {
                s.push_str(&format!("COPY pkg{j}/ ./pkg{j}/\n"));
                s.push_str(&format!(
                    "RUN set -eux; \\\n    cd pkg{j} && go build -mod=vendor -o /out/bin{j} ./cmd/{j} \\\n    && echo \"built {j}\" | tee -a /log.txt\n"
                ));
                if j % 4 == 0 {
                    s.push_str(&format!("RUN <<EOF\nset -e\nfor f in /out/*; do echo $f; done\ntest -x /out/bin{j}\nEOF\n"));
                }
            }
            s.push_str("FROM alpine:3.19\nENV APP_HOME=/app APP_PORT=8080 \\\n    LOG_LEVEL=info\n");
            s.push_str("LABEL org.opencontainers.image.source=\"https://example.com/x\" org.opencontainers.image.licenses=MIT org.opencontainers.image.description=\"x\"\n");
            s.push_str("COPY --from=builder /out/ /usr/local/bin/\nUSER 1000:1000\nHEALTHCHECK CMD [\"/usr/local/bin/bin0\", \"-health\"]\nENTRYPOINT [\"/usr/local/bin/bin0\"]\n");
            s
        })
        .collect()
}

fn ours_parse(corpus: &[String]) {
    for text in corpus {
        let _ = black_box(flareo_dockerfile::parse(black_box(text)));
    }
}

fn ours_parse_lint(corpus: &[String], ctx: &MemoryContext, config: &LintConfig) {
    for text in corpus {
        if let Ok(file) = flareo_dockerfile::parse(black_box(text))
            && let Ok(program) = flareo_dockerfile::check(&file)
        {
            black_box(flareo_dockerfile::lint(&program, ctx, config, "Dockerfile"));
        }
    }
}

fn peer_parse(corpus: &[String]) {
    for text in corpus {
        let _ = black_box(parse_dockerfile::parse(black_box(text)));
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo test --benches` runs this with --bench absent; keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds = if quick { 2 } else { 31 };
    let ctx = MemoryContext::new([
        ("pkg0/main.go", "package main"),
        (".dockerignore", ".git\n"),
    ]);
    let config = LintConfig::default();
    for (name, corpus) in [
        ("generated", generated(if quick { 20 } else { 400 })),
        ("real-world", real_world()),
    ] {
        let bytes: usize = corpus.iter().map(String::len).sum();
        let (mut peer, mut parse, mut lint) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            let t = Instant::now();
            peer_parse(&corpus);
            peer.push(t.elapsed());
            let t = Instant::now();
            ours_parse(&corpus);
            parse.push(t.elapsed());
            let t = Instant::now();
            ours_parse_lint(&corpus, &ctx, &config);
            lint.push(t.elapsed());
        }
        let (peer, parse, lint) = (median(peer), median(parse), median(lint));
        let mbps = |d: Duration| bytes as f64 / d.as_secs_f64() / 1e6;
        println!(
            "{name}: {} files, {} KiB, median of {rounds} rounds\n  peer parse-dockerfile parse: {:>8.2} MB/s (reference 1.00)\n  flareo parse:                {:>8.2} MB/s ({:.2}x the reference's time)\n  flareo parse+check+lint:     {:>8.2} MB/s ({:.2}x the reference's time, {:.0} files/s)",
            corpus.len(),
            bytes / 1024,
            mbps(peer),
            mbps(parse),
            parse.as_secs_f64() / peer.as_secs_f64(),
            mbps(lint),
            lint.as_secs_f64() / peer.as_secs_f64(),
            corpus.len() as f64 / lint.as_secs_f64(),
        );
    }
}
