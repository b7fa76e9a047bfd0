//! Parser behaviour beyond the conformance sample: heredocs, line spans, escape
//! directives, and the exact `Dockerfile parse error on line N: ...` messages.

use flareo_dockerfile::{check, dump, parse};

/// Parses and checks; returns the dump or the error message.
fn outcome(src: &str) -> String {
    match parse(src).and_then(|f| check(&f).map(|_| dump(&f))) {
        Ok(d) => d,
        Err(e) => e.to_string(),
    }
}

#[test]
fn heredocs_are_read_with_bodies_and_lines() {
    let src = "FROM alpine:3.19\nRUN <<EOF\necho one\necho two\nEOF\nCOPY <<-\"A\" <<B /dst/\n\tbody a $X\n\tA\nbody b\nB\nCMD [\"x\"]\n";
    let f = parse(src).unwrap();
    let run = &f.nodes[1];
    assert_eq!((run.start_line, run.end_line), (2, 5));
    assert_eq!(run.heredocs.len(), 1);
    assert_eq!(run.heredocs[0].content, "echo one\necho two\n");
    assert!(run.heredocs[0].expand);
    let copy = &f.nodes[2];
    assert_eq!((copy.start_line, copy.end_line), (6, 10));
    assert_eq!(copy.heredocs[0].name, "A");
    assert!(copy.heredocs[0].chomp && !copy.heredocs[0].expand);
    assert_eq!(copy.heredocs[0].content, "\tbody a $X\n");
    assert_eq!(copy.heredocs[1].content, "body b\n");
    assert_eq!(copy.args, ["<<-\"A\"", "<<B", "/dst/"]);
    assert_eq!(f.nodes[3].start_line, 11);
}

#[test]
fn heredoc_in_json_form_is_not_a_heredoc() {
    let f = parse("FROM a\nRUN [\"cat\", \"<<EOF\"]\nCMD x\n").unwrap();
    assert!(f.nodes[1].heredocs.is_empty());
    assert_eq!(f.nodes[2].start_line, 3);
}

#[test]
fn heredoc_in_onbuild() {
    let f = parse("FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\n").unwrap();
    assert_eq!(f.nodes[1].heredocs[0].content, "echo hi\n");
    assert_eq!(dump(&f), "(from \"a\")\n(onbuild (run \"<<EOF\"))");
}

#[test]
fn continuation_spans_and_comments_inside() {
    let f = parse("FROM a\nRUN echo a \\\n# a comment\n  && echo b \\\n\n  && echo c\nUSER x\n")
        .unwrap();
    assert_eq!(f.nodes[1].args, ["echo a   && echo b   && echo c"]);
    assert_eq!((f.nodes[1].start_line, f.nodes[1].end_line), (2, 6));
    assert_eq!(
        f.warnings.len(),
        1,
        "empty continuation line is warned about"
    );
    assert_eq!(f.nodes[2].start_line, 7);
}

#[test]
fn case_insensitive_keywords_and_tabs() {
    assert_eq!(
        outcome("from\talpine:3.19\nrUn\techo hi\n"),
        "(from \"alpine:3.19\")\n(run \"echo hi\")"
    );
}

#[test]
fn crlf_and_bom() {
    assert_eq!(
        outcome("\u{feff}FROM a\r\nRUN x \\\r\n  y\r\n"),
        "(from \"a\")\n(run \"x   y\")"
    );
}

#[test]
fn backtick_escape_directive() {
    assert_eq!(
        outcome("# escape=`\nFROM a\nRUN dir c:\\ `\n  && echo\n"),
        "(from \"a\")\n(run \"dir c:\\\\   && echo\")"
    );
    // After an instruction the directive is only a comment.
    assert_eq!(
        outcome("FROM a\n# escape=`\nRUN x `\n"),
        "(from \"a\")\n(run \"x `\")"
    );
}

#[test]
fn error_messages() {
    let cases = [
        (
            "",
            "Dockerfile parse error on line 1: file with no instructions",
        ),
        (
            "FROM busybox\n\nENV PATH\n",
            "Dockerfile parse error on line 3: ENV must have two arguments",
        ),
        (
            "FROM a\nRUN <<EOF\necho\n",
            "Dockerfile parse error on line 2: unterminated heredoc EOF: no line \"EOF\" ends it",
        ),
        (
            "FROM a\nRUNN echo\n",
            "Dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)",
        ),
        (
            "FROM a\nFROBNICATE x\n",
            "Dockerfile parse error on line 2: unknown instruction: FROBNICATE",
        ),
        (
            "RUN echo\nFROM a\n",
            "Dockerfile parse error on line 1: RUN instruction before the first FROM: no build stage in current context (only ARG may come before FROM)",
        ),
        (
            "ARG X=1\n",
            "Dockerfile parse error on line 1: no FROM instruction: a Dockerfile needs at least one build stage",
        ),
        (
            "FROM a b\n",
            "Dockerfile parse error on line 1: FROM requires either one or three arguments: FROM <image> [AS <name>]",
        ),
        (
            "FROM a AS 1st\n",
            "Dockerfile parse error on line 1: invalid name for build stage: \"1st\", name can't start with a number or contain symbols",
        ),
        (
            "FROM a AS x\nFROM b AS X\n",
            "Dockerfile parse error on line 2: duplicate stage name \"X\": each build stage needs its own name",
        ),
        (
            "FROM a\nCOPY --user=me x /y\n",
            "Dockerfile parse error on line 2: unknown flag: --user (not allowed on COPY)",
        ),
        (
            "FROM a\nCOPY onlyone\n",
            "Dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided: the destination could not be determined",
        ),
        (
            "FROM a\nCMD [\"a\", [\"b\"]]\n",
            "Dockerfile parse error on line 2: when using JSON array syntax, arrays must be comprised of strings only",
        ),
        (
            "FROM a\nSHELL /bin/bash -c\n",
            "Dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form",
        ),
        (
            "FROM a\nHEALTHCHECK CONNECT TCP 7000\n",
            "Dockerfile parse error on line 2: Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)",
        ),
        (
            "FROM a\nHEALTHCHECK NONE x\n",
            "Dockerfile parse error on line 2: HEALTHCHECK NONE takes no arguments",
        ),
        (
            "FROM a\nONBUILD ONBUILD RUN x\n",
            "Dockerfile parse error on line 2: ONBUILD ONBUILD isn't allowed",
        ),
        (
            "FROM a\nONBUILD FROM b\n",
            "Dockerfile parse error on line 2: FROM isn't allowed as an ONBUILD trigger",
        ),
        (
            "FROM a\nUSER\n",
            "Dockerfile parse error on line 2: USER requires exactly one argument",
        ),
        (
            "# escape=x\nFROM a\n",
            "Dockerfile parse error on line 1: invalid escape token 'x' does not match ` or \\",
        ),
        (
            "# escape=`\n# escape=\\\nFROM a\n",
            "Dockerfile parse error on line 2: only one escape parser directive can be used",
        ),
        (
            "FROM a\nENV a=b c\n",
            "Dockerfile parse error on line 2: Syntax error - can't find = in \"c\". Must be of the form: name=value",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(outcome(src), want, "for {src:?}");
    }
}

#[test]
fn invalid_utf8_names_the_line() {
    let err = flareo_dockerfile::parse_bytes(b"FROM a\nRUN \xff\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Dockerfile parse error on line 2: invalid UTF-8"
    );
}

mod never_panics {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parse_and_check_never_panic(src in "(?s)(FROM|RUN|COPY|ENV|ARG|HEALTHCHECK|ONBUILD|<<|EOF|\\\\|`|#|\"|'|\\[|\\]| |\t|\n|[a-z=$-]){0,80}") {
            if let Ok(f) = flareo_dockerfile::parse(&src) {
                let _ = flareo_dockerfile::dump(&f);
                if let Ok(p) = flareo_dockerfile::check(&f) {
                    let ctx = flareo_dockerfile::rules::MemoryContext::default();
                    let _ = flareo_dockerfile::lint(&p, &ctx, &flareo_dockerfile::LintConfig::default(), "Dockerfile");
                }
            }
        }
    }
}
