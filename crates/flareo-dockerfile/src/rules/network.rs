//! No network during the build: `RUN` commands that fetch (found by parsing the
//! shell of shell form, exec form and heredoc bodies), `RUN --network=` anything but
//! `none`, and `ADD` from a URL or git source.

use flareo_shell::{NetworkKind, NetworkUse};

use super::{Checked, Finding};
use crate::ast::Node;

/// Shells whose scripts we analyse (`sh -c '…'`, a heredoc fed to `bash`, …).
const SHELLS: [&str; 6] = ["sh", "bash", "dash", "ash", "zsh", "ksh"];

pub(crate) fn check(c: &Checked<'_>, out: &mut Vec<Finding>) {
    for stage in &c.program.stages {
        for node in &stage.body {
            match node.keyword().as_str() {
                "run" => run(c, node, out),
                "add" => add(c, node, out),
                _ => {}
            }
        }
    }
}

fn run(c: &Checked<'_>, node: &Node, out: &mut Vec<Finding>) {
    if let Some(mode) = node.flag("network")
        && mode != "none"
    {
        out.push(c.finding(
                "FL202",
                node.start_line,
                format!("network disabled during build: RUN --network={mode} is not allowed"),
                "remove the flag (builds have no network), or ask for requiresNetwork=true in the submission notes",
            ));
    }
    if node.json {
        let argv = &node.args;
        match shell_script_arg(argv) {
            Some(script) => script_findings(c, script, node.start_line, false, out),
            None => {
                if let Some(usage) = flareo_shell::network_use(argv) {
                    out.push(network_finding(c, node.start_line, &usage));
                }
            }
        }
        return;
    }
    let Some(command) = node.args.first() else {
        return;
    };
    // The shell sees the command line followed by the heredoc bodies.
    let mut full = command.clone();
    for h in &node.heredocs {
        full.push('\n');
        full.push_str(&h.content);
        full.push_str(&h.name);
    }
    script_findings(c, &full, node.start_line, true, out);

    let mut body_line = node.end_line + 1
        - node
            .heredocs
            .iter()
            .map(|h| h.content.lines().count() + 1)
            .sum::<usize>();
    let first_word = command.split_whitespace().find(|w| !is_heredoc_word(w));
    let bodies_are_scripts = first_word.is_none_or(|w| SHELLS.contains(&basename(w)));
    for h in &node.heredocs {
        if bodies_are_scripts && runs_as_shell(&h.content) {
            script_findings(c, &h.content, body_line, false, out);
        }
        body_line += h.content.lines().count() + 1;
    }
}

/// The script of `sh -c SCRIPT` / `bash -lc SCRIPT` exec forms.
fn shell_script_arg(argv: &[String]) -> Option<&str> {
    let (first, rest) = argv.split_first()?;
    if !SHELLS.contains(&basename(first)) {
        return None;
    }
    let flag = rest
        .iter()
        .position(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('c'))?;
    rest.get(flag + 1).map(String::as_str)
}

/// A heredoc body runs as a shell script unless its shebang names another interpreter.
fn runs_as_shell(body: &str) -> bool {
    let Some(shebang) = body.strip_prefix("#!") else {
        return true;
    };
    let mut words = shebang
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace();
    let interp = words.next().map(basename).unwrap_or_default();
    let interp = if interp == "env" {
        words.find(|w| !w.starts_with('-')).unwrap_or_default()
    } else {
        interp
    };
    SHELLS.contains(&interp)
}

fn is_heredoc_word(w: &str) -> bool {
    w.trim_start_matches(|c: char| c.is_ascii_digit())
        .starts_with("<<")
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Reports every network call in `script`. `single_line` marks a joined command
/// line, whose findings all point at the instruction's first line.
fn script_findings(
    c: &Checked<'_>,
    script: &str,
    first_line: usize,
    single_line: bool,
    out: &mut Vec<Finding>,
) {
    let analysis = flareo_shell::commands(script);
    for call in flareo_shell::network_calls(script) {
        let line = if single_line {
            first_line
        } else {
            first_line + call.line.saturating_sub(1)
        };
        out.push(network_finding(c, line, &call.usage));
    }
    if !analysis.complete {
        out.push(c.finding(
            "FL204",
            first_line,
            "RUN script could not be fully analysed: a network call in it may go unnoticed until the build fails",
            "check the shell syntax (unterminated quote or bracket?)",
        ));
    }
}

fn network_finding(c: &Checked<'_>, line: usize, usage: &NetworkUse) -> Finding {
    let target = match &usage.host {
        Some(host) => format!("connection refused to {host}"),
        None => "no network is reachable".to_string(),
    };
    let hint = match usage.kind {
        NetworkKind::PackageInstall => {
            "use a base image that already has what you need (see the approved list), or ask for requiresNetwork=true in the submission notes"
        }
        NetworkKind::LanguageFetch => {
            "vendor dependencies before submitting (node_modules, pip install --target vendor, cargo vendor, go mod vendor) and build offline"
        }
        NetworkKind::Download => {
            "include the file in the submission context instead, pinned and hashed"
        }
        NetworkKind::VcsFetch => "include the repository contents in your submission context",
    };
    c.finding(
        "FL201",
        line,
        format!(
            "network disabled during build: `{}` needs the network ({target})",
            usage.command
        ),
        hint,
    )
}

fn add(c: &Checked<'_>, node: &Node, out: &mut Vec<Finding>) {
    let Some((_, sources)) = node.args.split_last() else {
        return;
    };
    for src in sources.iter().filter(|s| is_remote(s)) {
        out.push(c.finding(
            "FL203",
            node.start_line,
            format!("network disabled during build: ADD {src} fetches from the network"),
            "download it before submitting, check its hash, and COPY it from the submission context",
        ));
    }
}

/// URLs (`https://…`, `git://…`), scp-style git remotes (`git@host:repo`).
fn is_remote(src: &str) -> bool {
    src.contains("://") || (src.starts_with("git@") && src.contains(':'))
}
