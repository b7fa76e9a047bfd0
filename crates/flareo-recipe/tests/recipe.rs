//! Recipe validation: the seed example, every rule with a hit and a near miss,
//! hints, lines, and hostile input. `check(yaml, expected)` compares the problems
//! as `CODE line field: message [hint]` lines.

use flareo_recipe::parse;

const SEED: &str = r#"slug: example
name: Example
author: Example Project
category: productivity
license: MIT
upstream:
  source: https://github.com/example/example
  ref_pattern: "v*.*.*" # tags that trigger a rebuild
  entry: ./Dockerfile # how to build (relative to source root)
runtime:
  ports: [3000]
  volumes: ["/data"]
  default_env: {}
  healthcheck: "wget -q --spider http://localhost:3000/health"
"#;

fn problems(yaml: &str) -> Vec<String> {
    match parse(yaml) {
        Ok(_) => Vec::new(),
        Err(e) => {
            e.0.into_iter()
                .map(|p| {
                    let hint = p.hint.map(|h| format!(" [{h}]")).unwrap_or_default();
                    format!(
                        "{} {} {}: {}{hint}",
                        p.code,
                        p.line.map_or("-".to_string(), |l| l.to_string()),
                        p.field,
                        p.message
                    )
                })
                .collect()
        }
    }
}

#[track_caller]
fn check(yaml: &str, expected: &[&str]) {
    assert_eq!(problems(yaml), expected, "yaml:\n{yaml}");
}

/// The seed recipe with one line replaced.
fn seed_with(from: &str, to: &str) -> String {
    assert!(SEED.contains(from), "{from} not in seed");
    SEED.replacen(from, to, 1)
}

#[test]
fn seed_example_parses() {
    let r = parse(SEED).expect("seed recipe is valid");
    assert_eq!(r.slug.as_str(), "example");
    assert_eq!(r.category.as_str(), "productivity");
    assert_eq!(r.license.as_str(), "MIT");
    assert_eq!(r.upstream.entry.as_str(), "Dockerfile");
    assert_eq!(r.runtime.ports, [3000]);
    assert_eq!(r.runtime.volumes, ["/data"]);
    assert!(r.runtime.default_env.is_empty());
    assert_eq!(
        r.runtime.healthcheck.as_deref(),
        Some("wget -q --spider http://localhost:3000/health")
    );
}

#[test]
fn ref_pattern_matches_tags() {
    let r = parse(SEED).unwrap();
    for tag in ["v1.2.3", "v10.0.1", "v1.2.3-rc1"] {
        assert!(r.upstream.ref_pattern.matches(tag), "{tag}");
    }
    for tag in ["v1.2", "1.2.3", "release-1.2.3", ""] {
        assert!(!r.upstream.ref_pattern.matches(tag), "{tag}");
    }
    check(
        &seed_with("\"v*.*.*\"", "\"v[1-\""),
        &[
            "R021 8 upstream.ref_pattern: ref_pattern \"v[1-\" is not a valid tag glob: unclosed character class; missing ']' [use a glob over tag names, e.g. \"v*.*.*\"]",
        ],
    );
}

#[test]
fn slug_rule() {
    for ok in ["my-app", "a", "app2", "x-1-y"] {
        check(&seed_with("slug: example", &format!("slug: {ok}")), &[]);
    }
    check(
        &seed_with("slug: example", "slug: My_App"),
        &[
            "R010 1 slug: slug \"My_App\" is not a lower-case DNS label [use 1-63 lower-case letters, digits and hyphens, e.g. `my-app`]",
        ],
    );
    check(
        &seed_with("slug: example", "slug: -app"),
        &[
            "R010 1 slug: slug \"-app\" is not a lower-case DNS label [use 1-63 lower-case letters, digits and hyphens, e.g. `app`]",
        ],
    );
    let long = "a".repeat(64);
    assert_eq!(
        problems(&seed_with("slug: example", &format!("slug: {long}"))).len(),
        1
    );
    check(
        &seed_with("slug: example", &format!("slug: {}", "a".repeat(63))),
        &[],
    );
}

#[test]
fn name_and_author() {
    check(
        &seed_with("name: Example", "name: \"  \""),
        &["R011 2 name: `name` is empty [give a short plain-text name]"],
    );
    check(
        &seed_with("name: Example", "name: [a]"),
        &["R005 2 name: `name` must be a string, found a list"],
    );
    check(
        &seed_with("author: Example Project", "author: \"a\\tb\""),
        &["R011 3 author: `author` contains control characters [give a short plain-text author]"],
    );
    check(&seed_with("name: Example", "name: 2048"), &[]);
}

#[test]
fn category_rule() {
    check(&seed_with("category: productivity", "category: media"), &[]);
    check(
        &seed_with("category: productivity", "category: productivty"),
        &["R012 4 category: unknown category \"productivty\" [did you mean `productivity`?]"],
    );
    let p = problems(&seed_with("category: productivity", "category: spaceships"));
    assert_eq!(p.len(), 1);
    assert!(
        p[0].starts_with(
            "R012 4 category: unknown category \"spaceships\" [known categories: ai, analytics"
        ),
        "{p:?}"
    );
}

#[test]
fn license_rule() {
    for ok in [
        "MIT",
        "Apache-2.0 OR MIT",
        "GPL-3.0-or-later",
        "AGPL-3.0-only",
        "Apache-2.0 WITH LLVM-exception",
        "(MIT AND BSD-3-Clause)",
    ] {
        check(&seed_with("license: MIT", &format!("license: {ok}")), &[]);
    }
    let p = problems(&seed_with("license: MIT", "license: MTI"));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with("R013 5 license: license \"MTI\" is not a valid SPDX expression: "),
        "{p:?}"
    );
    let p = problems(&seed_with("license: MIT", "license: Apache 2.0"));
    assert!(p[0].starts_with("R013 5 license: "), "{p:?}");
    let p = problems(&seed_with("license: MIT", "license: apache-2.0"));
    assert!(p[0].contains("did you mean `Apache-2.0`?"), "{p:?}");
}

#[test]
fn source_rule() {
    for ok in [
        "https://github.com/a/b",
        "git@github.com:a/b.git",
        "file:///srv/git/a.git",
        "ssh://git@host/a",
    ] {
        check(&seed_with("https://github.com/example/example", ok), &[]);
    }
    check(
        &seed_with(
            "https://github.com/example/example",
            "github.com/example/example",
        ),
        &[
            "R020 7 upstream.source: upstream.source \"github.com/example/example\" is not a repository URL [use https://host/owner/repo (or git://, ssh://, file://, git@host:owner/repo)]",
        ],
    );
    check(
        &seed_with("https://github.com/example/example", "\"https://\""),
        &[
            "R020 7 upstream.source: upstream.source \"https://\" is not a repository URL [use https://host/owner/repo (or git://, ssh://, file://, git@host:owner/repo)]",
        ],
    );
}

#[test]
fn entry_rule() {
    let entry = |e: &str| {
        parse(&seed_with("./Dockerfile", e)).map(|r| r.upstream.entry.as_str().to_string())
    };
    assert_eq!(entry("a/../Dockerfile").unwrap(), "Dockerfile");
    assert_eq!(
        entry("docker/./Dockerfile.prod").unwrap(),
        "docker/Dockerfile.prod"
    );
    check(
        &seed_with("./Dockerfile", "../Dockerfile"),
        &[
            "R022 9 upstream.entry: entry \"../Dockerfile\" escapes the source root with `..` [give a path relative to the source root, e.g. ./Dockerfile]",
        ],
    );
    check(
        &seed_with("./Dockerfile", "/Dockerfile"),
        &[
            "R022 9 upstream.entry: entry \"/Dockerfile\" is absolute; it must be relative to the source root [give a path relative to the source root, e.g. ./Dockerfile]",
        ],
    );
    check(
        &seed_with("./Dockerfile", "a/../../x"),
        &[
            "R022 9 upstream.entry: entry \"a/../../x\" escapes the source root with `..` [give a path relative to the source root, e.g. ./Dockerfile]",
        ],
    );
    check(
        &seed_with("./Dockerfile", "\".\""),
        &[
            "R022 9 upstream.entry: entry \".\" names the source root, not a file [give a path relative to the source root, e.g. ./Dockerfile]",
        ],
    );
}

#[test]
fn ports_rule() {
    check(&seed_with("ports: [3000]", "ports: [1, 65535]"), &[]);
    check(
        &seed_with("ports: [3000]", "ports: [65536, 0]"),
        &[
            "R030 11 runtime.ports[0]: port 65536 is out of range 1-65535",
            "R030 11 runtime.ports[1]: port 0 is out of range 1-65535",
        ],
    );
    check(
        &seed_with("ports: [3000]", "ports:\n    - 80\n    - 443\n    - 80"),
        &["R031 14 runtime.ports[2]: port 80 is listed twice [list each port once]"],
    );
    check(
        &seed_with("ports: [3000]", "ports: \"3000\""),
        &[
            "R005 11 runtime.ports: `runtime.ports` must be a list, found a string [write `ports: [...]`]",
        ],
    );
    check(
        &seed_with("ports: [3000]", "ports: [http]"),
        &[
            "R005 11 runtime.ports[0]: port must be an integer, found a string [write ports as numbers: [3000, 8080]]",
        ],
    );
}

#[test]
fn volumes_rule() {
    let vols = |v: &str| parse(&seed_with("volumes: [\"/data\"]", v)).map(|r| r.runtime.volumes);
    assert_eq!(
        vols("volumes: [\"/data/\", \"/var//lib/app\"]").unwrap(),
        ["/data", "/var/lib/app"]
    );
    check(
        &seed_with("volumes: [\"/data\"]", "volumes: [data]"),
        &[
            "R032 12 runtime.volumes[0]: volume \"data\" is not an absolute path [use an absolute path such as /data]",
        ],
    );
    check(
        &seed_with("volumes: [\"/data\"]", "volumes: [/a/../b]"),
        &[
            "R032 12 runtime.volumes[0]: volume \"/a/../b\" contains `.` or `..` [use an absolute path such as /data]",
        ],
    );
    check(
        &seed_with("volumes: [\"/data\"]", "volumes: [/]"),
        &[
            "R032 12 runtime.volumes[0]: volume \"/\" would cover the whole filesystem [name the directory the app writes state to, e.g. /data]",
        ],
    );
    check(
        &seed_with("volumes: [\"/data\"]", "volumes: [/data, /data/]"),
        &["R033 12 runtime.volumes[1]: volume /data is listed twice [list each volume once]"],
    );
}

#[test]
fn env_rule() {
    let r = parse(&seed_with(
        "default_env: {}",
        "default_env:\n    LOG_LEVEL: info\n    WORKERS: 4\n    DEBUG: false",
    ))
    .unwrap();
    assert_eq!(
        r.runtime.default_env.get("WORKERS").map(String::as_str),
        Some("4")
    );
    assert_eq!(
        r.runtime.default_env.get("DEBUG").map(String::as_str),
        Some("false")
    );
    check(
        &seed_with(
            "default_env: {}",
            "default_env:\n    1BAD: x\n    ok_name: y",
        ),
        &[
            "R034 14 runtime.default_env.1BAD: \"1BAD\" is not a valid environment variable name [use letters, digits and _, not starting with a digit]",
        ],
    );
    check(
        &seed_with("default_env: {}", "default_env: [A=1]"),
        &[
            "R005 13 runtime.default_env: `runtime.default_env` must be a mapping, found a list [write `default_env: {NAME: value}`]",
        ],
    );
}

#[test]
fn healthcheck_rule() {
    check(
        &seed_with(
            "healthcheck: \"wget -q --spider http://localhost:3000/health\"",
            "healthcheck: [wget, x]",
        ),
        &[
            "R035 14 runtime.healthcheck: healthcheck must be a command string, found a list [write it as one string: \"wget -q --spider http://localhost:3000/health\"]",
        ],
    );
    check(
        &seed_with(
            "healthcheck: \"wget -q --spider http://localhost:3000/health\"",
            "healthcheck: \"\"",
        ),
        &[
            "R035 14 runtime.healthcheck: healthcheck is empty [give the command that checks the service, or remove the key]",
        ],
    );
}

#[test]
fn unknown_keys_get_did_you_mean() {
    check(
        &seed_with("slug: example", "slg: example"),
        &[
            "R004 - slug: required key `slug` is missing [add `slug:`]",
            "R003 1 slg: unknown key `slg` [did you mean `slug`?]",
        ],
    );
    check(
        &seed_with("  ref_pattern:", "  refpattern:"),
        &[
            "R004 6 upstream.ref_pattern: required key `upstream.ref_pattern` is missing [add `ref_pattern:`]",
            "R003 8 upstream.refpattern: unknown key `upstream.refpattern` [did you mean `ref_pattern`?]",
        ],
    );
    let p = problems(&format!("{SEED}zzz: 1\n"));
    assert_eq!(
        p,
        [
            "R003 15 zzz: unknown key `zzz` [allowed keys here: slug, name, author, category, license, upstream, runtime]"
        ]
    );
}

#[test]
fn runtime_is_optional() {
    let short = SEED.split("runtime:").next().unwrap();
    let r = parse(short).unwrap();
    assert!(r.runtime.ports.is_empty() && r.runtime.healthcheck.is_none());
}

#[test]
fn many_problems_reported_together_in_line_order() {
    let yaml = "slug: Bad Slug\nname: x\nauthor: y\ncategory: nope\nlicense: NOT-A-LICENSE\nupstream:\n  source: https://h.example/r\n  ref_pattern: \"*\"\n  entry: ../x\nruntime:\n  ports: [0]\n";
    let codes: Vec<String> = problems(yaml)
        .iter()
        .map(|p| p.split(':').next().unwrap().to_string())
        .collect();
    assert_eq!(
        codes,
        [
            "R010 1 slug",
            "R012 4 category",
            "R013 5 license",
            "R022 9 upstream.entry",
            "R030 11 runtime.ports[0]"
        ]
    );
}

#[test]
fn syntax_and_shape_errors() {
    let p = problems("slug: [unclosed\nname: x\n");
    assert_eq!(p.len(), 1);
    assert!(p[0].starts_with("R001 "), "{p:?}");
    check(
        "- a\n- b\n",
        &[
            "R002 1 : the recipe must be a mapping of keys to values, found a list [expected keys: slug, name, author, category, license, upstream, runtime]",
        ],
    );
    check(
        &seed_with("upstream:", "upstream: https://x\nold_upstream:"),
        &[
            "R005 6 upstream: `upstream` must be a mapping of keys to values, found a string [expected keys: source, ref_pattern, entry]",
            "R003 7 old_upstream: unknown key `old_upstream` [allowed keys here: slug, name, author, category, license, upstream, runtime]",
        ],
    );
    let dup = problems(&format!("{SEED}slug: again\n"));
    assert!(dup.len() == 1 && dup[0].starts_with("R001 "), "{dup:?}");
}

#[test]
fn hostile_input_is_bounded() {
    // Alias expansion bomb: must be refused by the budget, quickly.
    let mut bomb = String::from("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
    for i in 1..12 {
        let prev = (b'a' + (i - 1) as u8) as char;
        let cur = (b'a' + i as u8) as char;
        bomb.push_str(&format!("{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
    }
    let p = problems(&bomb);
    assert!(
        !p.is_empty() && p[0].starts_with("R001")
            || p.iter()
                .all(|l| l.starts_with("R003") || l.starts_with("R004")),
        "{p:?}"
    );
    let p = problems(&"#".repeat(70_000));
    assert_eq!(
        p,
        [
            "R006 - : recipe is 70000 bytes, more than the 65536-byte limit [a recipe is a few lines of YAML; move anything else out of flareo.yaml]"
        ]
    );
}

mod never_panics {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_yaml_like(s in "(?s)(slug|name|upstream|runtime|ports|:|-|\\[|\\]|\\{|\\}|&a|\\*a|\"|'| |\n|[a-z0-9./]){0,80}") {
            let _ = flareo_recipe::parse(&s);
        }

        #[test]
        fn arbitrary_text(s in "\\PC{0,300}") {
            let _ = flareo_recipe::parse(&s);
        }
    }
}
