//! Lowering: heredocs become plain instructions or generated files, images are pinned.

use flareo_dockerfile::lower::{GENERATED_DIR, GeneratedFile};
use flareo_dockerfile::{ImageRef, LowerError, check, lower, parse};

fn pin(r: &ImageRef) -> Result<String, String> {
    if r.repository.ends_with("/evil") {
        return Err(format!("base image not in approved list: {}", r.familiar()));
    }
    Ok(format!(
        "localhost/{}@sha256:{}",
        r.repository.rsplit('/').next().unwrap(),
        "a".repeat(64)
    ))
}

fn lowered(src: &str) -> (String, Vec<GeneratedFile>) {
    let file = parse(src).expect("parses");
    let program = check(&file).expect("checks");
    let out = lower(&program, &pin).expect("lowers");
    // The lowered text is itself a heredoc-free Dockerfile our parser accepts.
    let again = parse(&out.dockerfile).expect("lowered output parses");
    assert!(
        again.nodes.iter().all(|n| n.heredocs.is_empty()),
        "{}",
        out.dockerfile
    );
    (out.dockerfile, out.files)
}

const DIGEST: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

#[test]
fn images_are_pinned_everywhere_and_stages_stay_stages() {
    let (df, files) = lowered(
        "ARG V=3.19\nFROM alpine:${V} AS build\nRUN true\nFROM build AS second\nCOPY --from=busybox:1.35 /bin/busybox /x\nRUN --mount=type=bind,from=alpine:3.19,target=/m true\nFROM scratch\nCOPY --from=build /a /a\n",
    );
    assert!(files.is_empty());
    assert_eq!(
        df,
        format!(
            "ARG V=3.19\nFROM localhost/alpine@sha256:{DIGEST} AS build\nRUN true\nFROM build AS second\nCOPY --from=localhost/busybox@sha256:{DIGEST} /bin/busybox /x\nRUN --mount=type=bind,from=localhost/alpine@sha256:{DIGEST},target=/m true\nFROM scratch\nCOPY --from=build /a /a\n"
        )
    );
}

#[test]
fn refused_image_names_the_line() {
    let file = parse("FROM alpine:3.19\nFROM evil:1\n").unwrap();
    let err = lower(&check(&file).unwrap(), &pin).unwrap_err();
    assert_eq!(
        err,
        LowerError::Image {
            line: 2,
            message: "base image not in approved list: evil:1".into()
        }
    );
}

#[test]
fn run_sole_heredoc_runs_in_the_stage_shell() {
    let (df, files) = lowered(
        "FROM a\nRUN <<EOF\necho \"a b\"\necho $HOME\nEOF\nSHELL [\"/bin/bash\", \"-eu\", \"-c\"]\nRUN <<-X\n\techo tab\n\tX\n",
    );
    assert!(files.is_empty());
    let lines: Vec<&str> = df.lines().collect();
    assert_eq!(
        lines[1],
        r#"RUN ["/bin/sh","-c","echo \"a b\"\necho $HOME\n"]"#
    );
    assert_eq!(lines[3], r#"RUN ["/bin/bash","-eu","-c","echo tab\n"]"#);
}

#[test]
fn run_shebang_heredoc_is_a_mounted_executable() {
    let (df, files) = lowered(
        "FROM a\nRUN --network=none <<script.py\n#!/usr/bin/env python3\nprint('hi')\nscript.py\n",
    );
    assert_eq!(
        df.lines().nth(1).unwrap(),
        format!(
            "RUN --network=none --mount=type=bind,source={GENERATED_DIR}/run-2,target=/dev/pipes,readonly [\"/dev/pipes/script.py\"]"
        )
    );
    assert_eq!(
        files,
        [GeneratedFile {
            path: format!("{GENERATED_DIR}/run-2/script.py"),
            content: "#!/usr/bin/env python3\nprint('hi')\n".into(),
            mode: 0o755
        }]
    );
}

#[test]
fn run_with_command_or_several_heredocs_goes_to_the_shell_whole() {
    let (df, _) = lowered("FROM a\nRUN cat <<A >/a && cat 3<<-B >/b\nx\nA\n\ty\n\tB\n");
    assert_eq!(
        df.lines().nth(1).unwrap(),
        r#"RUN ["/bin/sh","-c","cat <<A >/a && cat 3<<-B >/b\nx\nA\n\ty\nB"]"#
    );
    let (df, _) = lowered("FROM a\nRUN <<EOF bash\necho hi\nEOF\n");
    assert_eq!(
        df.lines().nth(1).unwrap(),
        r#"RUN ["/bin/sh","-c","<<EOF bash\necho hi\nEOF"]"#
    );
}

#[test]
fn copy_heredocs_become_generated_files() {
    let (df, files) = lowered(
        "FROM a\nARG X=world\nENV Y=${X}!\nCOPY --chmod=755 <<EOF <<\"B\" /dest/\nhello $X ${Y} \"q\" ${NOPE:-dflt}\nEOF\n$X raw\nB\nADD <<-note.txt /n.txt\n\ttabbed\n\tnote.txt\n",
    );
    let lines: Vec<&str> = df.lines().collect();
    assert_eq!(
        lines[3],
        format!(
            r#"COPY --chmod=755 ["{GENERATED_DIR}/copy-4-0/EOF","{GENERATED_DIR}/copy-4-1/B","/dest/"]"#
        )
    );
    assert_eq!(
        lines[4],
        format!(r#"ADD ["{GENERATED_DIR}/copy-9-0/note.txt","/n.txt"]"#)
    );
    let contents: Vec<(&str, &str, u32)> = files
        .iter()
        .map(|f| (f.path.as_str(), f.content.as_str(), f.mode))
        .collect();
    assert_eq!(contents[0].1, "hello world world! \"q\" dflt\n");
    assert_eq!(contents[0].2, 0o755);
    assert_eq!(contents[1].1, "$X raw\n", "quoted delimiter: no expansion");
    assert_eq!((contents[2].1, contents[2].2), ("tabbed\n", 0o644));
}

#[test]
fn escape_directive_and_plain_instructions_survive() {
    let src = "# escape=`\nFROM a\nRUN echo a `\n  b\nCOPY [\"x y\", \"/z\"]\n";
    let (df, _) = lowered(src);
    assert_eq!(
        df,
        format!(
            "# escape=`\nFROM localhost/a@sha256:{DIGEST}\nRUN echo a   b\nCOPY [\"x y\", \"/z\"]\n"
        )
    );
}
