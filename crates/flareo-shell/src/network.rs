//! Which commands reach the network: package managers, language package tools,
//! downloaders and version control, after unwrapping `sudo`, `env`, `xargs`,
//! `sh -c '…'` and similar wrappers.

use serde::Serialize;

use crate::commands::{SimpleCommand, commands_at};

/// What kind of network use a command makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkKind {
    /// A system package manager fetching packages or indexes (`apt-get install`, `apk add`).
    PackageInstall,
    /// A language tool fetching dependencies (`npm install`, `pip install`, `cargo build`).
    LanguageFetch,
    /// A plain download or connection (`curl`, `wget`, `nc`, `ssh`).
    Download,
    /// Version control fetching from a remote (`git clone`).
    VcsFetch,
}

/// A command's network use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkUse {
    /// Which kind.
    pub kind: NetworkKind,
    /// Short human form: `apt-get install`, `npm ci`, `curl`, `git clone`.
    pub command: String,
    /// The host it would connect to, when known (from a URL argument, else the tool's default registry).
    pub host: Option<String>,
}

/// A network call found in a script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkCall {
    /// 1-based line within the script.
    pub line: usize,
    /// What the call does.
    pub usage: NetworkUse,
}

/// Every network call in a script, in order (commands inside `sh -c`, `eval` and
/// substitutions included).
pub fn network_calls(script: &str) -> Vec<NetworkCall> {
    let mut out = Vec::new();
    for cmd in commands_at(script, 1).commands {
        calls_of(&cmd, 0, &mut out);
    }
    out
}

/// The network use of an exec-form argv (`RUN ["apt-get", "install", "x"]`), looking
/// through wrappers and `sh -c`. `None` when it does not reach the network.
pub fn network_use(argv: &[String]) -> Option<NetworkUse> {
    let args: Vec<Option<String>> = argv.iter().cloned().map(Some).collect();
    let mut out = Vec::new();
    classify_argv(&args, &[], 1, 0, &mut out);
    out.into_iter().next().map(|c| c.usage)
}

const MAX_DEPTH: usize = 8;

fn calls_of(cmd: &SimpleCommand, depth: usize, out: &mut Vec<NetworkCall>) {
    let args: Vec<Option<String>> = cmd
        .argv
        .iter()
        .map(|w| w.literal().map(str::to_string))
        .collect();
    let env: Vec<(String, String)> = cmd
        .assignments
        .iter()
        .filter_map(|(k, v)| v.literal().map(|v| (k.clone(), v.to_string())))
        .collect();
    classify_argv(&args, &env, cmd.line, depth, out);
}

fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// Shells whose `-c` script is analysed.
const SHELLS: [&str; 7] = ["sh", "bash", "dash", "ash", "zsh", "ksh", "busybox-sh"];

/// Unwraps wrappers, then classifies. `line` is where the command is in the outer script.
fn classify_argv(
    args: &[Option<String>],
    env: &[(String, String)],
    line: usize,
    depth: usize,
    out: &mut Vec<NetworkCall>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(Some(first)) = args.first() else {
        return;
    };
    let tool = basename(first);
    let rest = &args[1..];
    let mut env = env.to_vec();
    let inner_script = |script: &str, out: &mut Vec<NetworkCall>| {
        for cmd in commands_at(script, 1).commands {
            let mut nested = Vec::new();
            calls_of(&cmd, depth + 1, &mut nested);
            out.extend(nested.into_iter().map(|c| NetworkCall {
                line: line + c.line - 1,
                usage: c.usage,
            }));
        }
    };
    match tool {
        s if SHELLS.contains(&s) => {
            if let Some(script) = dash_c_script(rest) {
                inner_script(&script, out);
            }
        }
        "su" | "runuser" => {
            if let Some(i) = rest
                .iter()
                .position(|a| matches!(a.as_deref(), Some("-c" | "--command")))
                && let Some(Some(script)) = rest.get(i + 1)
            {
                inner_script(script, out);
            }
        }
        "eval" => {
            let joined: Option<Vec<&str>> = rest.iter().map(|a| a.as_deref()).collect();
            if let Some(parts) = joined {
                inner_script(&parts.join(" "), out);
            }
        }
        "busybox" => classify_argv(rest, &env, line, depth + 1, out),
        _ => {
            if let Some(skip) = wrapper_skip(tool, rest, &mut env) {
                classify_argv(&rest[skip.min(rest.len())..], &env, line, depth + 1, out);
                return;
            }
            if let Some(usage) = classify(tool, rest, &env) {
                out.push(NetworkCall { line, usage });
            }
        }
    }
}

/// The script of `sh -c SCRIPT` / `bash -euxc SCRIPT`.
fn dash_c_script(rest: &[Option<String>]) -> Option<String> {
    let mut i = 0;
    while let Some(Some(a)) = rest.get(i) {
        if a == "--" || !a.starts_with('-') && !a.starts_with('+') {
            return None;
        }
        if a.starts_with('-') && !a.starts_with("--") && a.contains('c') {
            return rest.get(i + 1).cloned().flatten();
        }
        if a == "-o" || a == "+o" {
            i += 1;
        }
        i += 1;
    }
    None
}

/// For wrappers that run their arguments as a command, how many leading arguments to
/// skip to reach that command. Records `env` assignments.
fn wrapper_skip(
    tool: &str,
    rest: &[Option<String>],
    env: &mut Vec<(String, String)>,
) -> Option<usize> {
    let lit = |i: usize| rest.get(i).and_then(|a| a.as_deref());
    // Skips options; `with_value` lists options that take the next word as a value.
    let skip_opts = |with_value: &[&str]| {
        let mut i = 0;
        while let Some(a) = lit(i) {
            if a == "--" {
                return i + 1;
            }
            if !a.starts_with('-') || a == "-" {
                break;
            }
            i += if with_value.contains(&a) { 2 } else { 1 };
        }
        i
    };
    Some(match tool {
        "sudo" | "doas" => skip_opts(&["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T"]),
        "env" => {
            let mut i = skip_opts(&["-u", "-C", "-S", "--unset", "--chdir"]);
            while let Some(a) = lit(i) {
                match a.split_once('=') {
                    Some((k, v)) if !k.is_empty() && !k.contains('/') => {
                        env.push((k.to_string(), v.to_string()))
                    }
                    _ => break,
                }
                i += 1;
            }
            i
        }
        "nice" => skip_opts(&["-n"]),
        "ionice" => skip_opts(&["-c", "-n", "-p"]),
        "nohup" | "setsid" | "catchsegv" | "unbuffer" | "fakeroot" | "tini" => skip_opts(&[]),
        "time" => skip_opts(&["-f", "-o"]),
        "timeout" => skip_opts(&["-s", "-k", "--signal", "--kill-after"]) + 1,
        "stdbuf" => skip_opts(&["-i", "-o", "-e"]),
        "xargs" => skip_opts(&["-n", "-P", "-I", "-d", "-L", "-s", "-E", "-a", "-i"]),
        "exec" => skip_opts(&["-a"]),
        "command" => {
            if rest
                .iter()
                .any(|a| matches!(a.as_deref(), Some("-v" | "-V")))
            {
                return None;
            }
            skip_opts(&[])
        }
        "chroot" => skip_opts(&["--userspec", "--groups"]) + 1,
        "gosu" | "su-exec" => 1,
        "retry" => skip_opts(&["-t", "--times", "-d", "--delay"]),
        _ => return None,
    })
}

/// The first argument that is not an option (skipping values of `with_value`).
fn positional<'a>(
    rest: &'a [Option<String>],
    with_value: &[&str],
) -> Option<(usize, Option<&'a str>)> {
    let mut i = 0;
    while i < rest.len() {
        match rest[i].as_deref() {
            Some("--") => return rest.get(i + 1).map(|a| (i + 1, a.as_deref())),
            Some(a) if a.starts_with('-') && a.len() > 1 => {
                i += if with_value.contains(&a) { 2 } else { 1 };
            }
            other => return Some((i, other)),
        }
    }
    None
}

fn has_flag(rest: &[Option<String>], flags: &[&str]) -> bool {
    rest.iter().flatten().any(|a| {
        flags.contains(&a.as_str())
            || flags
                .iter()
                .any(|f| f.starts_with("--") && a.starts_with(&format!("{f}=")))
    })
}

fn env_is(env: &[(String, String)], key: &str, values: &[&str]) -> bool {
    env.iter()
        .any(|(k, v)| k == key && values.contains(&v.to_ascii_lowercase().as_str()))
}

/// Host of the first URL-ish argument (`https://h/…`, `git@h:…`, `user@h:path`).
fn url_host(rest: &[Option<String>]) -> Option<String> {
    rest.iter().flatten().find_map(|a| host_of(a))
}

fn host_of(a: &str) -> Option<String> {
    if let Some((_, after)) = a.split_once("://") {
        let authority = after.split(['/', '?', '#']).next().unwrap_or_default();
        let hostport = authority.rsplit('@').next().unwrap_or_default();
        let host = if hostport.starts_with('[') {
            hostport
                .split(']')
                .next()
                .map(|h| format!("{h}]"))
                .unwrap_or_default()
        } else {
            hostport.split(':').next().unwrap_or_default().to_string()
        };
        return (!host.is_empty()).then_some(host);
    }
    // scp-like `user@host:path` / `host:path` (not a drive letter or an option).
    if !a.starts_with('-') && !a.starts_with('/') {
        let (before, _) = a.split_once(':')?;
        let host = before.rsplit('@').next().unwrap_or_default();
        if host.contains('.') || before.contains('@') {
            return Some(host.to_string());
        }
    }
    None
}

fn usage(
    kind: NetworkKind,
    command: impl Into<String>,
    host: Option<String>,
) -> Option<NetworkUse> {
    Some(NetworkUse {
        kind,
        command: command.into(),
        host,
    })
}

fn default_host(h: &str) -> Option<String> {
    Some(h.to_string())
}

/// Classifies a bare tool invocation (wrappers already removed).
fn classify(tool: &str, rest: &[Option<String>], env: &[(String, String)]) -> Option<NetworkUse> {
    use NetworkKind::*;
    let sub =
        |with_value: &[&str]| positional(rest, with_value).and_then(|(_, s)| s.map(str::to_string));
    match tool {
        "apt-get" | "apt" | "aptitude" => {
            let s = sub(&["-o", "-c", "-t", "--target-release", "--option"])?;
            matches!(
                s.as_str(),
                "install"
                    | "update"
                    | "upgrade"
                    | "dist-upgrade"
                    | "full-upgrade"
                    | "build-dep"
                    | "source"
                    | "download"
                    | "reinstall"
                    | "safe-upgrade"
            )
            .then_some(())?;
            usage(
                PackageInstall,
                format!("{tool} {s}"),
                default_host("deb.debian.org"),
            )
        }
        "apk" => {
            if has_flag(rest, &["--no-network"]) {
                return None;
            }
            let s = sub(&[
                "-X",
                "--repository",
                "-p",
                "--root",
                "--arch",
                "--keys-dir",
                "--repositories-file",
                "--cache-dir",
            ])?;
            matches!(s.as_str(), "add" | "update" | "upgrade" | "fix" | "fetch").then_some(())?;
            usage(
                PackageInstall,
                format!("apk {s}"),
                default_host("dl-cdn.alpinelinux.org"),
            )
        }
        "yum" | "dnf" | "microdnf" | "tdnf" | "zypper" => {
            let s = sub(&[
                "--setopt",
                "--installroot",
                "--releasever",
                "-c",
                "--config",
                "-R",
                "--root",
            ])?;
            matches!(
                s.as_str(),
                "install"
                    | "in"
                    | "update"
                    | "up"
                    | "upgrade"
                    | "makecache"
                    | "groupinstall"
                    | "reinstall"
                    | "distro-sync"
                    | "dup"
                    | "refresh"
                    | "ref"
                    | "dist-upgrade"
            )
            .then_some(())?;
            usage(PackageInstall, format!("{tool} {s}"), None)
        }
        "pacman" => rest
            .iter()
            .flatten()
            .any(|a| {
                a.starts_with("-S")
                    && !a.starts_with("-Ss")
                    && !a.starts_with("-Si")
                    && !a.starts_with("-Sc")
                    || a.starts_with("--sync")
            })
            .then(|| NetworkUse {
                kind: PackageInstall,
                command: "pacman -S".into(),
                host: None,
            }),
        "brew" | "port" | "snap" | "flatpak" => {
            let s = sub(&[])?;
            matches!(s.as_str(), "install" | "upgrade" | "update" | "selfupdate").then_some(())?;
            usage(PackageInstall, format!("{tool} {s}"), None)
        }
        "npm" | "pnpm" | "cnpm" => {
            if has_flag(rest, &["--offline"]) {
                return None;
            }
            let s = sub(&[
                "--prefix",
                "-C",
                "--dir",
                "--registry",
                "--cache",
                "-w",
                "--workspace",
                "--filter",
                "--userconfig",
            ])?;
            matches!(
                s.as_str(),
                "install"
                    | "i"
                    | "in"
                    | "isntall"
                    | "add"
                    | "ci"
                    | "clean-install"
                    | "install-ci-test"
                    | "update"
                    | "up"
                    | "upgrade"
                    | "exec"
                    | "x"
                    | "dlx"
                    | "create"
                    | "install-test"
                    | "it"
            )
            .then_some(())?;
            usage(
                LanguageFetch,
                format!("{tool} {s}"),
                url_host(rest).or_else(|| default_host("registry.npmjs.org")),
            )
        }
        "npx" => {
            if has_flag(rest, &["--offline", "--no-install", "--no"]) {
                return None;
            }
            usage(LanguageFetch, "npx", default_host("registry.npmjs.org"))
        }
        "yarn" => {
            if has_flag(rest, &["--offline"]) {
                return None;
            }
            let s = sub(&["--cwd", "--registry", "--cache-folder", "--modules-folder"]);
            match s.as_deref() {
                None => usage(
                    LanguageFetch,
                    "yarn install",
                    default_host("registry.yarnpkg.com"),
                ),
                Some(
                    s @ ("install"
                    | "add"
                    | "upgrade"
                    | "up"
                    | "dlx"
                    | "global"
                    | "create"
                    | "upgrade-interactive"),
                ) => usage(
                    LanguageFetch,
                    format!("yarn {s}"),
                    default_host("registry.yarnpkg.com"),
                ),
                _ => None,
            }
        }
        t if t == "pip" || t.starts_with("pip3") || t.starts_with("pip2") => pip(t, rest),
        t if t.starts_with("python") => {
            // `python -m pip install …`
            let m = rest.iter().position(|a| a.as_deref() == Some("-m"))?;
            (rest.get(m + 1)?.as_deref()? == "pip").then_some(())?;
            pip(&format!("{t} -m pip"), &rest[m + 2..])
        }
        "uv" => {
            if has_flag(rest, &["--offline"]) || env_is(env, "UV_OFFLINE", &["1", "true"]) {
                return None;
            }
            let s = sub(&["--directory", "--project", "--index-url", "--cache-dir"])?;
            match s.as_str() {
                "pip" | "tool" => {
                    let (i, _) = positional(rest, &[])?;
                    let s2 = rest.get(i + 1).and_then(|a| a.as_deref())?;
                    matches!(s2, "install" | "sync" | "compile" | "run").then_some(())?;
                    if s == "pip" && has_flag(rest, &["--no-index"]) {
                        return None;
                    }
                    usage(
                        LanguageFetch,
                        format!("uv {s} {s2}"),
                        default_host("pypi.org"),
                    )
                }
                "add" | "sync" | "lock" | "run" | "python" => {
                    usage(LanguageFetch, format!("uv {s}"), default_host("pypi.org"))
                }
                _ => None,
            }
        }
        "poetry" | "pipenv" | "pdm" | "hatch" => {
            let s = sub(&["-C", "--directory"])?;
            matches!(s.as_str(), "install" | "add" | "update" | "lock" | "sync").then_some(())?;
            usage(
                LanguageFetch,
                format!("{tool} {s}"),
                default_host("pypi.org"),
            )
        }
        "conda" | "mamba" | "micromamba" => {
            if has_flag(rest, &["--offline"]) {
                return None;
            }
            let s = sub(&["-n", "-p", "--name", "--prefix", "-c", "--channel"])?;
            matches!(s.as_str(), "install" | "create" | "update" | "upgrade").then_some(())?;
            usage(LanguageFetch, format!("{tool} {s}"), None)
        }
        "cargo" => {
            let offline = has_flag(rest, &["--offline", "--frozen"])
                || env_is(env, "CARGO_NET_OFFLINE", &["true", "1"]);
            let args: Vec<Option<String>> = rest
                .iter()
                .filter(|a| !a.as_deref().is_some_and(|a| a.starts_with('+')))
                .cloned()
                .collect();
            let s = positional(
                &args,
                &["--manifest-path", "-Z", "--config", "-C", "--color"],
            )
            .and_then(|(_, s)| s.map(str::to_string))?;
            let always = matches!(
                s.as_str(),
                "install"
                    | "fetch"
                    | "update"
                    | "search"
                    | "publish"
                    | "login"
                    | "add"
                    | "generate-lockfile"
                    | "vendor"
            );
            let builds = matches!(
                s.as_str(),
                "build"
                    | "b"
                    | "run"
                    | "r"
                    | "test"
                    | "t"
                    | "check"
                    | "c"
                    | "doc"
                    | "d"
                    | "bench"
                    | "clippy"
                    | "rustc"
                    | "tree"
                    | "metadata"
                    | "package"
            );
            if (always
                && !(offline && matches!(s.as_str(), "install" | "vendor" | "generate-lockfile")))
                || (builds && !offline)
            {
                return usage(
                    LanguageFetch,
                    format!("cargo {s}"),
                    default_host("index.crates.io"),
                );
            }
            None
        }
        "go" => {
            if env_is(env, "GOPROXY", &["off"]) || env_is(env, "GOFLAGS", &["-mod=vendor"]) {
                return None;
            }
            let (i, s) = positional(rest, &["-C"])?;
            let s = s?;
            let after = &rest[i + 1..];
            let fetches = match s {
                "get" => true,
                "mod" => matches!(
                    positional(after, &[]).and_then(|(_, s)| s),
                    Some("download" | "tidy" | "why" | "graph")
                ),
                "install" | "run" => after
                    .iter()
                    .flatten()
                    .any(|a| !a.starts_with('-') && a.contains('@')),
                _ => false,
            };
            if !fetches {
                return None;
            }
            let label = if s == "mod" {
                format!(
                    "go mod {}",
                    positional(after, &[])
                        .and_then(|(_, s)| s)
                        .unwrap_or_default()
                )
            } else {
                format!("go {s}")
            };
            usage(LanguageFetch, label, default_host("proxy.golang.org"))
        }
        "gem" => {
            let s = sub(&[])?;
            if has_flag(rest, &["--local", "-l"]) {
                return None;
            }
            matches!(s.as_str(), "install" | "update" | "fetch" | "i").then_some(())?;
            usage(
                LanguageFetch,
                format!("gem {s}"),
                default_host("rubygems.org"),
            )
        }
        "bundle" | "bundler" => {
            if has_flag(rest, &["--local"]) {
                return None;
            }
            match sub(&["--gemfile", "--path", "--jobs", "-j"]).as_deref() {
                None => usage(
                    LanguageFetch,
                    "bundle install",
                    default_host("rubygems.org"),
                ),
                Some(
                    s @ ("install" | "update" | "add" | "lock" | "outdated" | "cache" | "package"),
                ) => usage(
                    LanguageFetch,
                    format!("bundle {s}"),
                    default_host("rubygems.org"),
                ),
                _ => None,
            }
        }
        "composer" => {
            let s = sub(&["-d", "--working-dir"])?;
            matches!(
                s.as_str(),
                "install" | "i" | "require" | "update" | "u" | "upgrade" | "create-project"
            )
            .then_some(())?;
            usage(
                LanguageFetch,
                format!("composer {s}"),
                default_host("repo.packagist.org"),
            )
        }
        "mvn" | "mvnw" | "./mvnw" => {
            if has_flag(rest, &["-o", "--offline"]) || rest.is_empty() {
                return None;
            }
            usage(LanguageFetch, "mvn", default_host("repo.maven.apache.org"))
        }
        "gradle" | "gradlew" => {
            if has_flag(rest, &["--offline"]) || rest.is_empty() {
                return None;
            }
            usage(LanguageFetch, tool, default_host("plugins.gradle.org"))
        }
        "dotnet" => {
            let s = sub(&[])?;
            let fetches = match s.as_str() {
                "restore" => true,
                "add" | "tool" => rest
                    .iter()
                    .flatten()
                    .any(|a| a == "package" || a == "install"),
                "build" | "publish" | "run" | "test" | "pack" => !has_flag(rest, &["--no-restore"]),
                _ => false,
            };
            fetches.then_some(())?;
            usage(
                LanguageFetch,
                format!("dotnet {s}"),
                default_host("api.nuget.org"),
            )
        }
        "curl" | "wget" | "aria2c" | "axel" | "fetch" | "http" | "https" | "xh" | "lynx"
        | "links" | "w3m" => {
            let info_only = rest.iter().flatten().all(|a| {
                matches!(
                    a.as_str(),
                    "--version" | "-V" | "--help" | "-h" | "--manual" | "-M"
                )
            });
            if info_only && !rest.is_empty() {
                return None;
            }
            let has_target = rest.iter().any(|a| match a.as_deref() {
                None => true,
                Some(a) => !a.starts_with('-'),
            });
            has_target.then_some(())?;
            usage(Download, tool, url_host(rest))
        }
        "nc" | "ncat" | "netcat" | "socat" | "telnet" | "openssl" => {
            if tool == "openssl" {
                (rest.first()?.as_deref()? == "s_client").then_some(())?;
                return usage(Download, "openssl s_client", None);
            }
            if has_flag(rest, &["-l", "--listen", "-h", "--help"]) {
                return None;
            }
            let host = positional(rest, &["-p", "-w", "-s", "-i", "-q"])
                .and_then(|(_, h)| h.map(str::to_string))?;
            usage(Download, tool, Some(host))
        }
        "ssh" | "scp" | "sftp" | "rsync" => {
            let host = url_host(rest).or_else(|| {
                (tool == "ssh" || tool == "sftp")
                    .then(|| {
                        positional(rest, &["-p", "-i", "-l", "-o", "-F", "-J", "-P"]).and_then(
                            |(_, h)| h.map(|h| h.rsplit('@').next().unwrap_or(h).to_string()),
                        )
                    })
                    .flatten()
            })?;
            usage(Download, tool, Some(host))
        }
        "git" => {
            let (i, s) = positional(
                rest,
                &["-C", "-c", "--git-dir", "--work-tree", "--namespace"],
            )?;
            let s = s?;
            let after = &rest[i + 1..];
            let fetches = match s {
                "clone" | "fetch" | "pull" | "ls-remote" | "push" => true,
                "submodule" => {
                    matches!(
                        positional(after, &[]).and_then(|(_, s)| s),
                        Some("update" | "init" | "sync" | "foreach")
                    ) && after
                        .iter()
                        .flatten()
                        .any(|a| a == "update" || a == "--remote")
                }
                "remote" => matches!(positional(after, &[]).and_then(|(_, s)| s), Some("update")),
                "archive" => has_flag(after, &["--remote"]),
                _ => false,
            };
            fetches.then_some(())?;
            usage(VcsFetch, format!("git {s}"), url_host(after))
        }
        "hg" => {
            let s = sub(&["-R", "--repository", "--cwd"])?;
            matches!(
                s.as_str(),
                "clone" | "pull" | "push" | "incoming" | "outgoing"
            )
            .then_some(())?;
            usage(VcsFetch, format!("hg {s}"), url_host(rest))
        }
        "svn" => {
            let s = sub(&["--username", "--password"])?;
            matches!(
                s.as_str(),
                "checkout"
                    | "co"
                    | "export"
                    | "update"
                    | "up"
                    | "switch"
                    | "sw"
                    | "list"
                    | "ls"
                    | "cat"
            )
            .then_some(())?;
            usage(VcsFetch, format!("svn {s}"), url_host(rest))
        }
        _ => None,
    }
}

fn pip(label: &str, rest: &[Option<String>]) -> Option<NetworkUse> {
    let s = positional(
        rest,
        &[
            "--cache-dir",
            "--proxy",
            "--log",
            "--timeout",
            "--retries",
            "-i",
            "--index-url",
        ],
    )
    .and_then(|(_, s)| s)?;
    matches!(s, "install" | "download" | "wheel").then_some(())?;
    if has_flag(rest, &["--no-index"]) {
        return None;
    }
    usage(
        NetworkKind::LanguageFetch,
        format!("{label} {s}"),
        url_host(rest).or_else(|| default_host("pypi.org")),
    )
}
