//! Go binaries: the build information the Go toolchain embeds in every binary it
//! links (the `.go.buildinfo` section): the Go version, the main module and every
//! dependency module with its version, and replacements (`=>`).
//!
//! Reads the format of Go 1.18 and later (version and module text inline after the
//! 32-byte header, `runtime/debug.BuildInfo` text between two 16-byte sentinels).
//! Binaries from older toolchains store pointers instead; they are not read (no
//! packages, never a wrong one).

use super::Package;
use crate::version::Ecosystem;

const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER: usize = 32;
/// Flag bit: version and module info follow the header inline (Go 1.18+).
const FLAG_INLINE: u8 = 0x2;

/// What a Go binary's build information says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// The toolchain, e.g. `go1.19.8`.
    pub go_version: String,
    /// The main package's import path (`path` line).
    pub path: String,
    /// The main module (path, version), when recorded.
    pub main: Option<Module>,
    /// Dependency modules, replacements applied.
    pub deps: Vec<Module>,
}

/// A module of the build list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// Module path.
    pub path: String,
    /// Version (`v1.2.3`, a pseudo-version, or `(devel)`).
    pub version: String,
    /// The replacement's path when a `=>` line replaced it with a local
    /// directory (the code is that directory's, the version the one required).
    pub replaced_by_dir: Option<String>,
}

fn uvarint(data: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &b) in data.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

fn inline_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, n) = uvarint(data)?;
    let len = usize::try_from(len).ok()?;
    let end = n.checked_add(len)?;
    Some((data.get(n..end)?, &data[end..]))
}

/// Parses the contents of a `.go.buildinfo` section. `None` when it is not Go
/// 1.18+ build information.
pub fn parse(section: &[u8]) -> Option<BuildInfo> {
    if !section.starts_with(MAGIC) || section.len() < HEADER {
        return None;
    }
    let flags = section[15];
    if flags & FLAG_INLINE == 0 {
        return None;
    }
    let (version, rest) = inline_string(&section[HEADER..])?;
    let (mut modinfo, _) = inline_string(rest)?;
    // Module text sits between two 16-byte sentinels.
    if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        modinfo = &modinfo[16..modinfo.len() - 16];
    }
    let mut info = BuildInfo {
        go_version: String::from_utf8_lossy(version).into_owned(),
        path: String::new(),
        main: None,
        deps: Vec::new(),
    };
    for line in String::from_utf8_lossy(modinfo).lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let module = |f: &[&str]| Module {
            path: f.get(1).unwrap_or(&"").to_string(),
            version: f.get(2).unwrap_or(&"").to_string(),
            replaced_by_dir: None,
        };
        match fields[0] {
            "path" => info.path = fields.get(1).unwrap_or(&"").to_string(),
            "mod" => info.main = Some(module(&fields)),
            "dep" => info.deps.push(module(&fields)),
            "=>" => {
                let replacement = module(&fields);
                if let Some(last) = info.deps.last_mut() {
                    if replacement.version.is_empty() {
                        last.replaced_by_dir = Some(replacement.path);
                    } else {
                        *last = replacement;
                    }
                }
            }
            _ => {}
        }
    }
    Some(info)
}

/// `go1.21.3` → `1.21.3`, `go1.21` → `1.21.0`, `go1.21rc2` → `1.21.0-rc.2`; the
/// `X:...` experiment suffix is dropped. Versions as OSV's Go `stdlib` entries write them.
pub fn stdlib_version(go_version: &str) -> String {
    let v = go_version
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_start_matches("go");
    let (core, pre) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&v[..i], Some(&v[i..])),
        None => (v, None),
    };
    let mut parts: Vec<&str> = core.split('.').filter(|p| !p.is_empty()).collect();
    while parts.len() < 3 {
        parts.push("0");
    }
    let mut out = parts.join(".");
    if let Some(pre) = pre {
        let digits = pre.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        let word = &pre[..pre.len() - digits.len()];
        out.push_str(&format!("-{word}.{digits}"));
    }
    out
}

fn golang_purl(path: &str, version: &str) -> String {
    let (namespace, name) = match path.rsplit_once('/') {
        Some((ns, n)) => (Some(ns), n),
        None => (None, path),
    };
    super::purl::purl("golang", namespace, name, version, &[])
}

fn package(path: &str, version: &str, location: &str, dependencies: Vec<String>) -> Package {
    Package {
        ecosystem: Ecosystem::Go,
        purl: golang_purl(path, version),
        name: path.to_string(),
        version: version.to_string(),
        licenses: Vec::new(),
        location: location.to_string(),
        source: None,
        dependencies,
    }
}

/// The packages a Go binary at `location` holds: the standard library it was
/// linked with (`stdlib`, as OSV names it), the main module (depending on every
/// other one; the build list does not say which are direct) and each dependency.
pub fn packages(location: &str, info: &BuildInfo) -> Vec<Package> {
    let deps: Vec<Package> = info
        .deps
        .iter()
        .filter(|m| !m.path.is_empty())
        .map(|m| package(&m.path, &m.version, location, Vec::new()))
        .collect();
    let mut out = Vec::new();
    let stdlib = (!info.go_version.is_empty()).then(|| {
        package(
            "stdlib",
            &stdlib_version(&info.go_version),
            location,
            vec![],
        )
    });
    if let Some(main) = info.main.as_ref().filter(|m| !m.path.is_empty()) {
        let mut on: Vec<String> = deps.iter().map(|d| d.purl.clone()).collect();
        on.extend(stdlib.iter().map(|s| s.purl.clone()));
        out.push(package(&main.path, &main.version, location, on));
    }
    out.extend(stdlib);
    out.extend(deps);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(version: &str, modinfo: &str) -> Vec<u8> {
        let mut s = MAGIC.to_vec();
        s.push(8); // pointer size
        s.push(FLAG_INLINE);
        s.resize(HEADER, 0);
        for text in [version.as_bytes().to_vec(), {
            let mut m = vec![b'0'; 16];
            m.extend_from_slice(modinfo.as_bytes());
            m.extend_from_slice(&[b'1'; 16]);
            m
        }] {
            let mut len = text.len();
            loop {
                let b = (len & 0x7f) as u8;
                len >>= 7;
                s.push(if len > 0 { b | 0x80 } else { b });
                if len == 0 {
                    break;
                }
            }
            s.extend_from_slice(&text);
        }
        s
    }

    #[test]
    fn modules_replacements_and_stdlib() {
        let text = "path\texample.com/app\nmod\texample.com/app\tv1.4.0\th1:x=\n\
            dep\tgolang.org/x/text\tv0.3.7\th1:a=\n\
            dep\texample.com/forked\tv1.0.0\t\n=>\texample.com/fork\tv1.0.1\th1:b=\n\
            dep\texample.com/local\tv0.0.0\t\n=>\t./local\t\t\n\
            build\t-compiler=gc\n";
        let info = parse(&section("go1.19.8", text)).unwrap();
        assert_eq!(info.go_version, "go1.19.8");
        assert_eq!(info.path, "example.com/app");
        assert_eq!(info.deps[1].path, "example.com/fork");
        assert_eq!(
            info.deps[2].replaced_by_dir.as_deref(),
            Some("./local"),
            "{info:?}"
        );
        let p = packages("usr/bin/app", &info);
        let purls: Vec<&str> = p.iter().map(|p| p.purl.as_str()).collect();
        assert_eq!(
            purls,
            [
                "pkg:golang/example.com/app@v1.4.0",
                "pkg:golang/stdlib@1.19.8",
                "pkg:golang/golang.org/x/text@v0.3.7",
                "pkg:golang/example.com/fork@v1.0.1",
                "pkg:golang/example.com/local@v0.0.0",
            ]
        );
        assert_eq!(p[0].dependencies.len(), 4);
    }

    #[test]
    fn old_format_and_garbage_give_nothing() {
        let mut old = section("go1.16", "");
        old[15] = 0;
        assert_eq!(parse(&old), None);
        assert_eq!(parse(b"\xff Go buildinf:"), None);
        let mut cut = section("go1.19", "path\tx\n");
        cut.truncate(40);
        assert_eq!(parse(&cut), None);
    }

    #[test]
    fn stdlib_versions() {
        assert_eq!(stdlib_version("go1.19.8"), "1.19.8");
        assert_eq!(stdlib_version("go1.21"), "1.21.0");
        assert_eq!(stdlib_version("go1.21rc2"), "1.21.0-rc.2");
        assert_eq!(stdlib_version("go1.22.1 X:boringcrypto"), "1.22.1");
    }
}
