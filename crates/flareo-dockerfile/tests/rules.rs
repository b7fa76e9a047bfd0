//! Every lint rule with a hit and a near miss. A case is a Dockerfile, the context
//! files, and the (code, line) pairs expected among the findings of one code family.

use flareo_dockerfile::rules::{ApprovedBase, BaseConfig, LintConfig, MemoryContext};
use flareo_dockerfile::{Finding, check, lint, parse};

/// A Dockerfile that passes every rule; cases replace parts of it.
const GOOD_TAIL: &str = "LABEL org.opencontainers.image.source=s org.opencontainers.image.licenses=MIT org.opencontainers.image.description=d\nUSER app\nHEALTHCHECK CMD true\nENTRYPOINT [\"/app\"]\n";

fn run(dockerfile: &str, files: &[(&str, &str)], config: &LintConfig) -> Vec<Finding> {
    let parsed = parse(dockerfile).unwrap_or_else(|e| panic!("{e}\n{dockerfile}"));
    let program = check(&parsed).unwrap_or_else(|e| panic!("{e}\n{dockerfile}"));
    let ctx = MemoryContext::new(
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec())),
    );
    lint(&program, &ctx, config, "Dockerfile")
}

/// Asserts the findings whose code starts with `family` are exactly `expected`.
#[track_caller]
fn check_rule(family: &str, dockerfile: &str, files: &[(&str, &str)], expected: &[(&str, usize)]) {
    check_rule_with(family, dockerfile, files, &LintConfig::default(), expected);
}

#[track_caller]
fn check_rule_with(
    family: &str,
    dockerfile: &str,
    files: &[(&str, &str)],
    config: &LintConfig,
    expected: &[(&str, usize)],
) {
    let findings = run(dockerfile, files, config);
    let got: Vec<(&str, usize)> = findings
        .iter()
        .filter(|f| f.code.starts_with(family))
        .map(|f| (f.code, f.line))
        .collect();
    assert_eq!(
        got, expected,
        "findings for {family}:\n{findings:#?}\nDockerfile:\n{dockerfile}"
    );
}

fn messages(dockerfile: &str, files: &[(&str, &str)]) -> Vec<String> {
    run(dockerfile, files, &LintConfig::default())
        .into_iter()
        .map(|f| format!("{} {}:{} {}", f.code, f.file, f.line, f.message))
        .collect()
}

fn df(head: &str) -> String {
    format!("{head}\n{GOOD_TAIL}")
}

#[test]
fn good_dockerfile_only_warns_about_digest() {
    let found = messages(&df("FROM alpine:3.19"), &[]);
    assert_eq!(
        found,
        ["FL502 Dockerfile:1 base image not pinned by digest: alpine:3.19"]
    );
}

// ---- FL101/FL102 approved base images ----

#[test]
fn base_image_not_approved() {
    check_rule(
        "FL10",
        &df("FROM some-obscure-registry.io/mystery-image:latest"),
        &[],
        &[("FL101", 1)],
    );
    let found = messages(&df("FROM my-registry/my-image"), &[]);
    assert!(
        found.contains(
            &"FL101 Dockerfile:1 base image not in approved list: my-registry/my-image".to_string()
        ),
        "{found:?}"
    );
}

#[test]
fn base_image_approved_near_misses() {
    check_rule("FL10", &df("FROM node:20-slim"), &[], &[]);
    check_rule("FL10", &df("FROM docker.io/library/node:22-slim"), &[], &[]);
    check_rule("FL10", &df("FROM scratch"), &[], &[]);
    // node:20 (not -slim), untagged and a near tag are not approved.
    check_rule("FL10", &df("FROM node:20"), &[], &[("FL101", 1)]);
    check_rule("FL10", &df("FROM node"), &[], &[("FL101", 1)]);
    check_rule("FL10", &df("FROM alpine:3.18"), &[], &[("FL101", 1)]);
}

#[test]
fn stage_names_are_not_images() {
    let d = "FROM golang:1.22 AS builder\nRUN go build -o /out/server ./cmd/server\nFROM builder AS again\nFROM alpine:3.19\nCOPY --from=builder /out/server /usr/local/bin/server\nCOPY --from=0 /x /y\n";
    check_rule("FL10", &format!("{d}{GOOD_TAIL}"), &[], &[]);
    // A stage named later is not visible earlier: `FROM later` is an image.
    check_rule(
        "FL10",
        &df("FROM later\nFROM alpine:3.19 AS later"),
        &[],
        &[("FL101", 1)],
    );
}

#[test]
fn copy_from_and_mount_from_images_are_checked() {
    check_rule(
        "FL10",
        &df("FROM alpine:3.19\nCOPY --from=evil/tools:1 /bin/x /x"),
        &[],
        &[("FL101", 2)],
    );
    check_rule(
        "FL10",
        &df("FROM alpine:3.19\nCOPY --from=redis:7-alpine /usr/local/bin/redis-server /x"),
        &[],
        &[],
    );
    check_rule(
        "FL10",
        &df("FROM alpine:3.19\nRUN --mount=type=bind,from=evil/tools:1,target=/t ls /t"),
        &[],
        &[("FL101", 2)],
    );
}

#[test]
fn arg_defaults_resolve_in_from() {
    check_rule("FL10", &df("ARG BASE=node:20-slim\nFROM ${BASE}"), &[], &[]);
    check_rule("FL10", &df("ARG TAG=20-slim\nFROM node:$TAG"), &[], &[]);
    check_rule(
        "FL10",
        &df("ARG BASE=evil/img:1\nFROM $BASE"),
        &[],
        &[("FL101", 2)],
    );
    check_rule("FL10", &df("ARG BASE\nFROM $BASE"), &[], &[("FL101", 2)]);
    check_rule("FL10", &df("FROM ${BASE:-alpine:3.19}"), &[], &[]);
}

#[test]
fn digest_pins_must_match_the_operator_pin() {
    let pin = format!("sha256:{}", "a".repeat(64));
    let other = format!("sha256:{}", "b".repeat(64));
    let config = LintConfig::default().with_additions(vec![ApprovedBase {
        image: "alpine:3.19".into(),
        digest: Some(pin.clone()),
        config: None,
    }]);
    check_rule_with(
        "FL10",
        &df(&format!("FROM alpine:3.19@{pin}")),
        &[],
        &config,
        &[],
    );
    check_rule_with(
        "FL10",
        &df(&format!("FROM alpine:3.19@{other}")),
        &[],
        &config,
        &[("FL102", 1)],
    );
    check_rule_with(
        "FL10",
        &df(&format!("FROM alpine@{pin}")),
        &[],
        &config,
        &[],
    );
    check_rule_with(
        "FL10",
        &df(&format!("FROM alpine@{other}")),
        &[],
        &config,
        &[("FL101", 1)],
    );
    // The operator can add images.
    let config = LintConfig::default().with_additions(vec![ApprovedBase {
        image: "ghcr.io/acme/base:2".into(),
        digest: None,
        config: None,
    }]);
    check_rule_with("FL10", &df("FROM ghcr.io/acme/base:2"), &[], &config, &[]);
}

// ---- FL201-FL204 network ----

#[test]
fn network_package_installs() {
    check_rule(
        "FL20",
        &df("FROM alpine:3.19\nRUN apk add --no-cache curl"),
        &[],
        &[("FL201", 2)],
    );
    check_rule(
        "FL20",
        &df("FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl"),
        &[],
        &[("FL201", 2), ("FL201", 2)],
    );
    check_rule(
        "FL20",
        &df("FROM debian:12-slim\nRUN rm -rf /var/lib/apt/lists/* && apt-get clean"),
        &[],
        &[],
    );
}

#[test]
fn network_language_fetches_and_downloads() {
    check_rule(
        "FL20",
        &df("FROM node:20-slim\nRUN npm install express"),
        &[],
        &[("FL201", 2)],
    );
    check_rule(
        "FL20",
        &df("FROM node:20-slim\nRUN npm run build"),
        &[],
        &[],
    );
    check_rule(
        "FL20",
        &df("FROM python:3.12-slim\nRUN pip install requests"),
        &[],
        &[("FL201", 2)],
    );
    check_rule(
        "FL20",
        &df("FROM python:3.12-slim\nRUN pip install --no-index --find-links /wheels requests"),
        &[],
        &[],
    );
    check_rule(
        "FL20",
        &df("FROM rust:1.81\nRUN cargo build --release"),
        &[],
        &[("FL201", 2)],
    );
    check_rule(
        "FL20",
        &df("FROM rust:1.81\nRUN cargo build --release --offline"),
        &[],
        &[],
    );
    check_rule(
        "FL20",
        &df("FROM alpine:3.19\nRUN curl -fsSL https://example.com/install.sh | sh"),
        &[],
        &[("FL201", 2)],
    );
    check_rule(
        "FL20",
        &df("FROM alpine:3.19\nRUN git clone https://github.com/example/repo.git"),
        &[],
        &[("FL201", 2)],
    );
    check_rule(
        "FL20",
        &df("FROM alpine:3.19\nRUN git init && git apply x.patch"),
        &[],
        &[],
    );
}

#[test]
fn network_mentions_are_not_calls() {
    check_rule(
        "FL20",
        &df("FROM alpine:3.19\nRUN echo \"run apt-get install to fix\" # curl http://x"),
        &[],
        &[],
    );
}

#[test]
fn network_host_is_named() {
    let found = messages(
        &df("FROM alpine:3.19\nRUN wget https://example.com/tool.tgz"),
        &[],
    );
    assert!(
        found.iter().any(
            |m| m.starts_with("FL201 Dockerfile:2 network disabled during build: ")
                && m.contains("example.com")
        ),
        "{found:?}"
    );
}

#[test]
fn network_exec_form() {
    check_rule(
        "FL20",
        &df("FROM alpine:3.19\nRUN [\"apk\", \"add\", \"curl\"]"),
        &[],
        &[("FL201", 2)],
    );
    check_rule(
        "FL20",
        &df("FROM alpine:3.19\nRUN [\"sh\", \"-c\", \"apk add curl\"]"),
        &[],
        &[("FL201", 2)],
    );
    check_rule(
        "FL20",
        &df("FROM alpine:3.19\nRUN [\"echo\", \"apk add curl\"]"),
        &[],
        &[],
    );
}

#[test]
fn network_heredoc_bodies_with_lines() {
    let d = "FROM alpine:3.19\nRUN <<EOF\nset -e\necho hi\napk add curl\nEOF\n";
    check_rule("FL20", &format!("{d}{GOOD_TAIL}"), &[], &[("FL201", 5)]);
    // A body fed to python is data to the shell.
    let d = "FROM python:3.12-slim\nRUN python3 <<EOF\nprint('pip install x')\nEOF\n";
    check_rule("FL20", &format!("{d}{GOOD_TAIL}"), &[], &[]);
    // A heredoc written to a file is not run.
    let d = "FROM alpine:3.19\nRUN cat > /x.sh <<EOF\ncurl https://example.com\nEOF\n";
    check_rule("FL20", &format!("{d}{GOOD_TAIL}"), &[], &[]);
    // A shebang naming a shell is analysed; bash fed a heredoc too.
    let d = "FROM alpine:3.19\nRUN <<EOF\n#!/bin/bash\nwget http://example.com/x\nEOF\n";
    check_rule("FL20", &format!("{d}{GOOD_TAIL}"), &[], &[("FL201", 4)]);
    let d = "FROM alpine:3.19\nRUN bash <<EOF\nwget http://example.com/x\nEOF\n";
    check_rule("FL20", &format!("{d}{GOOD_TAIL}"), &[], &[("FL201", 3)]);
}

#[test]
fn network_flag_and_remote_add() {
    check_rule(
        "FL20",
        &df("FROM alpine:3.19\nRUN --network=host true"),
        &[],
        &[("FL202", 2)],
    );
    check_rule(
        "FL20",
        &df("FROM alpine:3.19\nRUN --network=none true"),
        &[],
        &[],
    );
    check_rule(
        "FL20",
        &df("FROM alpine:3.19\nADD https://example.com/x.tgz /x/"),
        &[],
        &[("FL203", 2)],
    );
    check_rule(
        "FL20",
        &df("FROM alpine:3.19\nADD git@github.com:moby/buildkit.git /src"),
        &[],
        &[("FL203", 2)],
    );
    check_rule(
        "FL20",
        &df("FROM alpine:3.19\nADD vendor.tgz /x/"),
        &[("vendor.tgz", "")],
        &[],
    );
}

// ---- FL301 entrypoint ----

#[test]
fn entrypoint_required_in_final_image() {
    let tail_without_entry = GOOD_TAIL.replace("ENTRYPOINT [\"/app\"]\n", "");
    check_rule(
        "FL30",
        &format!("FROM alpine:3.19\n{tail_without_entry}"),
        &[],
        &[("FL301", 1)],
    );
    check_rule(
        "FL30",
        &format!("FROM alpine:3.19\n{tail_without_entry}CMD [\"/app\"]\n"),
        &[],
        &[],
    );
    // Set in an earlier stage the final stage builds on.
    check_rule(
        "FL30",
        &format!("FROM alpine:3.19 AS base\nCMD [\"/app\"]\nFROM base\n{tail_without_entry}"),
        &[],
        &[],
    );
    // Set only in a stage the final image does not build on.
    check_rule(
        "FL30",
        &format!("FROM alpine:3.19 AS b\nCMD [\"/app\"]\nFROM alpine:3.19\n{tail_without_entry}"),
        &[],
        &[("FL301", 3)],
    );
    // An empty CMD is not a clear command.
    check_rule(
        "FL30",
        &format!("FROM alpine:3.19\n{tail_without_entry}CMD []\n"),
        &[],
        &[("FL301", 1)],
    );
}

#[test]
fn entrypoint_inherited_from_known_base_config() {
    let tail_without_entry = GOOD_TAIL.replace("ENTRYPOINT [\"/app\"]\n", "");
    let config = LintConfig::default().with_additions(vec![ApprovedBase {
        image: "nginx:1.27-alpine".into(),
        digest: None,
        config: Some(BaseConfig {
            cmd: vec!["nginx".into(), "-g".into(), "daemon off;".into()],
            ..BaseConfig::default()
        }),
    }]);
    check_rule_with(
        "FL30",
        &format!("FROM nginx:1.27-alpine\n{tail_without_entry}"),
        &[],
        &config,
        &[],
    );
    check_rule_with(
        "FL30",
        &format!("FROM caddy:2.8-alpine\n{tail_without_entry}"),
        &[],
        &config,
        &[("FL301", 1)],
    );
}

// ---- FL401/FL402 secrets ----

#[test]
fn secrets_in_env_arg_label() {
    check_rule(
        "FL40",
        &df("FROM alpine:3.19\nENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"),
        &[],
        &[("FL401", 2)],
    );
    check_rule(
        "FL40",
        &df("FROM alpine:3.19\nENV DB_PASSWORD=hunter2hunter2"),
        &[],
        &[("FL401", 2)],
    );
    check_rule(
        "FL40",
        &df("ARG GITHUB_TOKEN=ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nFROM alpine:3.19"),
        &[],
        &[("FL401", 1)],
    );
    check_rule(
        "FL40",
        &df("FROM alpine:3.19\nLABEL deploy.url=\"https://admin:s3cr3t@example.com/\""),
        &[],
        &[("FL401", 2)],
    );
    check_rule(
        "FL40",
        &df("FROM alpine:3.19\nRUN echo '-----BEGIN RSA PRIVATE KEY-----' > /k"),
        &[],
        &[("FL401", 2)],
    );
}

#[test]
fn secrets_near_misses() {
    check_rule(
        "FL40",
        &df("FROM alpine:3.19\nENV DB_PASSWORD_FILE=/run/secrets/db DB_PASSWORD=$FROM_RUNTIME"),
        &[],
        &[],
    );
    check_rule(
        "FL40",
        &df("FROM alpine:3.19\nENV TOKEN_TTL=3600 PASSWORDLESS=true"),
        &[],
        &[],
    );
    check_rule(
        "FL40",
        &df("FROM alpine:3.19\nARG API_KEY\nLABEL url=https://example.com/"),
        &[],
        &[],
    );
}

#[test]
fn secret_files_copied_from_context() {
    let files = [
        (".env", "SECRET=1"),
        ("app/id_rsa", "x"),
        ("certs/server.pem", "-----BEGIN PRIVATE KEY-----\n"),
        ("certs/ca.pem", "-----BEGIN CERTIFICATE-----\n"),
        ("src/main.go", ""),
    ];
    check_rule(
        "FL40",
        &df("FROM alpine:3.19\nCOPY . /app"),
        &files,
        &[("FL402", 2), ("FL402", 2), ("FL402", 2)],
    );
    check_rule(
        "FL40",
        &df("FROM alpine:3.19\nCOPY src /app/src\nCOPY certs/ca.pem /ca.pem"),
        &files,
        &[],
    );
    check_rule(
        "FL40",
        &df("FROM alpine:3.19\nCOPY certs/*.pem /certs/"),
        &files,
        &[("FL402", 2)],
    );
    let ignored = [
        (".dockerignore", ".env\n**/id_rsa\ncerts\n"),
        (".env", "x"),
        ("app/id_rsa", "x"),
        ("certs/server.pem", "-----BEGIN PRIVATE KEY-----"),
    ];
    check_rule("FL40", &df("FROM alpine:3.19\nCOPY . /app"), &ignored, &[]);
    // COPY --from takes nothing from the context.
    check_rule(
        "FL40",
        &df("FROM alpine:3.19 AS b\nFROM alpine:3.19\nCOPY --from=b . /app"),
        &files,
        &[],
    );
}

// ---- FL5xx good practices (warnings) ----

#[test]
fn root_user_warning() {
    let tail = GOOD_TAIL.replace("USER app\n", "");
    check_rule(
        "FL501",
        &format!("FROM alpine:3.19\n{tail}"),
        &[],
        &[("FL501", 1)],
    );
    check_rule(
        "FL501",
        &format!("FROM alpine:3.19\n{tail}USER root\n"),
        &[],
        &[("FL501", 5)],
    );
    check_rule(
        "FL501",
        &format!("FROM alpine:3.19\n{tail}USER 0:0\n"),
        &[],
        &[("FL501", 5)],
    );
    check_rule(
        "FL501",
        &format!("FROM alpine:3.19\n{tail}USER 1000:1000\n"),
        &[],
        &[],
    );
    // USER in a builder stage does not count for the final image.
    check_rule(
        "FL501",
        &format!("FROM alpine:3.19 AS b\nUSER app\nFROM alpine:3.19\n{tail}"),
        &[],
        &[("FL501", 3)],
    );
}

#[test]
fn digest_pin_warning() {
    let pin = format!("sha256:{}", "c".repeat(64));
    check_rule("FL502", &df("FROM alpine:3.19"), &[], &[("FL502", 1)]);
    check_rule("FL502", &df(&format!("FROM alpine:3.19@{pin}")), &[], &[]);
    check_rule("FL502", &df("FROM scratch"), &[], &[]);
}

#[test]
fn labels_warning() {
    let tail = GOOD_TAIL.replacen("org.opencontainers.image.licenses=MIT ", "", 1);
    let found = messages(&format!("FROM alpine:3.19\n{tail}"), &[]);
    assert!(
        found.contains(
            &"FL503 Dockerfile:1 missing OCI labels: org.opencontainers.image.licenses".to_string()
        ),
        "{found:?}"
    );
    check_rule("FL503", &df("FROM alpine:3.19"), &[], &[]);
}

#[test]
fn healthcheck_warning() {
    let tail = GOOD_TAIL.replace("HEALTHCHECK CMD true\n", "");
    check_rule(
        "FL504",
        &format!("FROM alpine:3.19\n{tail}"),
        &[],
        &[("FL504", 1)],
    );
    check_rule(
        "FL504",
        &format!("FROM alpine:3.19\n{tail}HEALTHCHECK NONE\n"),
        &[],
        &[("FL504", 5)],
    );
    check_rule("FL504", &df("FROM alpine:3.19"), &[], &[]);
}

#[test]
fn copy_dot_needs_dockerignore_excluding_git() {
    check_rule(
        "FL505",
        &df("FROM alpine:3.19\nCOPY . /app"),
        &[],
        &[("FL505", 2)],
    );
    check_rule(
        "FL505",
        &df("FROM alpine:3.19\nCOPY . /app"),
        &[(".dockerignore", "node_modules\n")],
        &[("FL505", 2)],
    );
    check_rule(
        "FL505",
        &df("FROM alpine:3.19\nCOPY . /app"),
        &[(".dockerignore", ".git\n")],
        &[],
    );
    check_rule("FL505", &df("FROM alpine:3.19\nCOPY src /app"), &[], &[]);
}
