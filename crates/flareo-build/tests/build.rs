//! Real buildah builds: success, heredoc lowering, reproducibility, ownership,
//! lint and base-image refusals, failing steps.

mod common;

use common::{Fixture, TAIL, module};
use flareo_build::BuildError;

const MULTISTAGE: &str = r#"FROM busybox:1.35 AS build
COPY src/ /src/
RUN <<EOF
set -e
mkdir -p /out
echo "built from $(cat /src/a.txt)" > /out/result.txt
id -u >> /out/result.txt
touch /out/created-by-run
ls /src > /out/listing
EOF
RUN <<script
#!/bin/sh
echo "shebang as $0" > /out/shebang.txt
script
RUN cat <<A >/out/a.txt && cat <<-B >/out/b.txt
first
A
	tabbed
	B
FROM busybox:1.35
COPY --from=build /out/ /out/
COPY --chmod=755 <<greet.sh /usr/local/bin/greet
#!/bin/sh
echo "hello $1"
greet.sh
ARG WHO=flareo
COPY <<note.txt /note.txt
built for $WHO
note.txt
"#;

fn multistage() -> tempfile::TempDir {
    module(&[
        ("Dockerfile", &format!("{MULTISTAGE}{TAIL}")),
        ("src/a.txt", "context"),
        ("src/scratch.tmp", "ignored"),
        (".dockerignore", ".git\n**/*.tmp\n"),
    ])
}

fn text(fx: &Fixture, out: &flareo_build::BuildOutput, path: &str) -> String {
    let (bytes, _, _) = fx
        .image_file(out, path)
        .unwrap_or_else(|| panic!("{path} not in the image"));
    String::from_utf8(bytes).expect("utf-8")
}

#[test]
fn multistage_heredoc_build_behaves_as_buildkit_defines() {
    let fx = Fixture::new();
    let dir = multistage();
    let (result, log) = fx.build_dir(dir.path());
    let out = result.unwrap_or_else(|e| panic!("build failed: {e}\n{}", log.join("\n")));

    assert_eq!(text(&fx, &out, "out/result.txt"), "built from context\n0\n");
    assert_eq!(
        text(&fx, &out, "out/listing"),
        "a.txt\n",
        ".dockerignore is honoured"
    );
    assert_eq!(
        text(&fx, &out, "out/shebang.txt"),
        "shebang as /dev/pipes/script\n"
    );
    assert_eq!(text(&fx, &out, "out/a.txt"), "first\n");
    assert_eq!(text(&fx, &out, "out/b.txt"), "tabbed\n", "<<- strips tabs");
    assert_eq!(
        text(&fx, &out, "note.txt"),
        "built for flareo\n",
        "COPY heredoc expands ARGs"
    );
    let (greet, _, _) = fx.image_file(&out, "usr/local/bin/greet").expect("greet");
    assert_eq!(greet, b"#!/bin/sh\necho \"hello $1\"\n");
    assert!(
        fx.image_file(&out, "dev/pipes/script").is_none(),
        "the shebang script is not left in the image"
    );
    assert!(
        fx.image_file(&out, "src/a.txt").is_none(),
        "the build stage is not in the final image"
    );

    // Files a RUN created are committed with container ids, not host ids.
    let owners = fx.owners(&out);
    assert!(
        owners.iter().any(|(p, _, _)| p.ends_with("created-by-run")),
        "{owners:?}"
    );
    let foreign: Vec<_> = owners
        .iter()
        .filter(|(_, u, g)| *u != 0 || *g != 0)
        .collect();
    assert!(foreign.is_empty(), "entries not owned by 0:0: {foreign:?}");

    // Streamed log and reported shape.
    assert!(log.iter().any(|l| l.contains("STEP")), "{log:?}");
    assert_eq!(
        out.image.layers.len(),
        2,
        "busybox layer + one layer of the final stage"
    );
    assert!(out.image.size > out.image.layers.iter().map(|l| l.size).sum::<u64>());
    assert!(fx.leftovers().is_empty(), "{:?}", fx.leftovers());
}

#[test]
fn same_input_gives_the_same_digest() {
    let fx = Fixture::new();
    let dir = multistage();
    let (first, log) = fx.build_dir(dir.path());
    let first = first.unwrap_or_else(|e| panic!("{e}\n{}", log.join("\n")));
    // Rewrite a file with the same content: context mtimes must not matter.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(dir.path().join("src/a.txt"), "context").unwrap();
    let (second, log) = fx.build_dir(dir.path());
    let second = second.unwrap_or_else(|e| panic!("{e}\n{}", log.join("\n")));
    assert_eq!(first.image.digest, second.image.digest);

    std::fs::write(dir.path().join("src/a.txt"), "changed").unwrap();
    let (third, _) = fx.build_dir(dir.path());
    assert_ne!(
        third.expect("builds").image.digest,
        first.image.digest,
        "a different input gives a different image"
    );
}

#[test]
fn lint_rejection_never_reaches_buildah() {
    let fx = Fixture::new();
    let dir = module(&[(
        "Dockerfile",
        &format!("FROM busybox:1.35\nRUN apk add curl\n{TAIL}"),
    )]);
    let (result, log) = fx.build_dir(dir.path());
    match result {
        Err(BuildError::Lint(report)) => assert!(
            report
                .findings
                .iter()
                .any(|f| f.line == 2 && f.message.starts_with("network disabled during build")),
            "{report:?}"
        ),
        other => panic!("expected a lint rejection, got {other:?}"),
    }
    assert!(
        !log.iter().any(|l| l.contains("STEP")),
        "buildah ran: {log:?}"
    );
}

#[test]
fn base_images_must_be_cached_and_match_their_pin() {
    let mut fx = Fixture::new();
    fx.config
        .approved_bases
        .push(flareo_dockerfile::rules::ApprovedBase {
            image: "busybox:9.9".into(),
            digest: None,
            config: None,
        });
    let dir = module(&[(
        "Dockerfile",
        &format!("FROM busybox:1.35 AS a\nFROM busybox:9.9\n{TAIL}"),
    )]);
    match fx.build_dir(dir.path()).0 {
        Err(e @ BuildError::Base { line: 2, .. }) => {
            assert_eq!(
                e.to_string(),
                "base image not in approved list: busybox:9.9"
            )
        }
        other => panic!("expected a base-image error, got {other:?}"),
    }

    let wrong = format!("sha256:{}", "0".repeat(64));
    let dir = module(&[("Dockerfile", &format!("FROM busybox:1.35@{wrong}\n{TAIL}"))]);
    match fx.build_dir(dir.path()).0 {
        Err(e @ BuildError::Base { line: 1, .. }) => {
            let m = e.to_string();
            assert!(
                m.contains(&wrong) && m.contains("cache holds sha256:"),
                "{m}"
            )
        }
        other => panic!("expected a pin mismatch, got {other:?}"),
    }
}

#[test]
fn failing_run_reports_buildah_error_and_leaves_nothing() {
    let fx = Fixture::new();
    let dir = module(&[(
        "Dockerfile",
        &format!("FROM busybox:1.35\nRUN echo about to fail && false\n{TAIL}"),
    )]);
    let (result, log) = fx.build_dir(dir.path());
    match result {
        Err(BuildError::Failed(m)) => assert!(m.contains("RUN echo about to fail"), "{m}"),
        other => panic!("expected a failed build, got {other:?}"),
    }
    assert!(log.iter().any(|l| l == "about to fail"), "{log:?}");
    assert!(fx.leftovers().is_empty(), "{:?}", fx.leftovers());
}
