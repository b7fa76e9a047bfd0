//! Submission archives: crafted tarballs that must be refused, each naming the
//! offending entry, and a good one that extracts and builds.

mod common;

use std::io::Write;
use std::path::Path;

use flareo_build::extract::{ExtractError, extract};
use flareo_build::{ArchiveLimits, BuildError, Source};

/// One raw tar entry: name, type, link target, content.
struct Raw<'a> {
    name: &'a str,
    kind: tar::EntryType,
    link: &'a str,
    data: &'a [u8],
}

fn file<'a>(name: &'a str, data: &'a [u8]) -> Raw<'a> {
    Raw {
        name,
        kind: tar::EntryType::Regular,
        link: "",
        data,
    }
}

fn special<'a>(name: &'a str, kind: tar::EntryType, link: &'a str) -> Raw<'a> {
    Raw {
        name,
        kind,
        link,
        data: b"",
    }
}

/// Writes the entries with raw GNU headers (no sanitising of names), optionally gzipped.
fn archive(dir: &Path, entries: &[Raw<'_>], gzip: bool) -> std::path::PathBuf {
    let mut bytes = Vec::new();
    for e in entries {
        let mut header = tar::Header::new_gnu();
        let name = e.name.as_bytes();
        header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
        header.set_entry_type(e.kind);
        header.set_mode(0o644);
        header.set_size(e.data.len() as u64);
        if !e.link.is_empty() {
            let link = e.link.as_bytes();
            header.as_gnu_mut().unwrap().linkname[..link.len()].copy_from_slice(link);
        }
        header.set_cksum();
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(e.data);
        bytes.resize(bytes.len().div_ceil(512) * 512, 0);
    }
    bytes.resize(bytes.len() + 1024, 0);
    let path = dir.join(if gzip { "ctx.tar.gz" } else { "ctx.tar" });
    let mut out = std::fs::File::create(&path).unwrap();
    if gzip {
        let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::best());
        gz.write_all(&bytes).unwrap();
        gz.finish().unwrap();
    } else {
        out.write_all(&bytes).unwrap();
    }
    path
}

fn refused(
    entries: &[Raw<'_>],
    limits: &ArchiveLimits,
    gzip: bool,
) -> (ExtractError, tempfile::TempDir) {
    let work = tempfile::tempdir().unwrap();
    let tarball = archive(work.path(), entries, gzip);
    let dest = work.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    let err = extract(&tarball, &dest, limits).expect_err("must be refused");
    (err, work)
}

fn assert_entry_refused(entries: &[Raw<'_>], entry: &str, reason_part: &str) {
    let (err, work) = refused(entries, &ArchiveLimits::default(), false);
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("entry {entry:?}")) && msg.contains(reason_part),
        "{msg}"
    );
    // Nothing escaped next to the destination.
    let outside: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "out" && !n.starts_with("ctx.tar"))
        .collect();
    assert!(outside.is_empty(), "{outside:?}");
}

#[test]
fn dotdot_and_absolute_paths_are_refused() {
    assert_entry_refused(
        &[file("ok.txt", b"x"), file("../evil", b"x")],
        "../evil",
        "`..`",
    );
    assert_entry_refused(&[file("a/../../evil", b"x")], "a/../../evil", "`..`");
    assert_entry_refused(&[file("/etc/evil", b"x")], "/etc/evil", "absolute");
}

#[test]
fn links_escaping_the_root_are_refused() {
    use tar::EntryType::Symlink;
    assert_entry_refused(&[special("up", Symlink, "../../etc")], "up", "outside");
    assert_entry_refused(&[special("abs", Symlink, "/etc/passwd")], "abs", "outside");
    assert_entry_refused(
        &[special("a/b", Symlink, "../../x")],
        "a/b",
        "outside the archive root",
    );
    // A link inside the root is fine, but nothing may be written through it.
    assert_entry_refused(
        &[
            special("dir", tar::EntryType::Directory, ""),
            special("inner", Symlink, "dir"),
            file("inner/f", b"x"),
        ],
        "inner/f",
        "through a symbolic link",
    );
}

#[test]
fn hard_links_devices_and_fifos_are_refused() {
    assert_entry_refused(
        &[file("a", b"x"), special("b", tar::EntryType::Link, "a")],
        "b",
        "hard links",
    );
    assert_entry_refused(&[special("tty", tar::EntryType::Char, "")], "tty", "device");
    assert_entry_refused(
        &[special("sda", tar::EntryType::Block, "")],
        "sda",
        "device",
    );
    assert_entry_refused(&[special("pipe", tar::EntryType::Fifo, "")], "pipe", "FIFO");
}

#[test]
fn size_count_and_ratio_caps() {
    let big = vec![b'x'; 4096];
    let small = ArchiveLimits {
        max_bytes: 10_000,
        ..ArchiveLimits::default()
    };
    let (err, _w) = refused(
        &[file("a", &big), file("b", &big), file("c", &big)],
        &small,
        false,
    );
    assert!(err.to_string().contains("more than 10000 bytes"), "{err}");

    let few = ArchiveLimits {
        max_entries: 2,
        ..ArchiveLimits::default()
    };
    let (err, _w) = refused(
        &[file("a", b""), file("b", b""), file("c", b"")],
        &few,
        false,
    );
    assert!(err.to_string().contains("more than 2 entries"), "{err}");

    // 300 MB of zeros gzip to ~300 kB: a bomb by ratio, caught before the size cap.
    let zeros = vec![0u8; 300 << 20];
    let (err, _w) = refused(&[file("zeros", &zeros)], &ArchiveLimits::default(), true);
    assert!(err.to_string().contains("decompression bomb"), "{err}");
}

#[test]
fn good_tarball_extracts_and_builds() {
    let fx = common::Fixture::new();
    let work = tempfile::tempdir().unwrap();
    let dockerfile = format!(
        "FROM busybox:1.35\nCOPY app/ /app/\nRUN cat /app/link.txt > /copied\n{}",
        common::TAIL
    );
    let tarball = archive(
        work.path(),
        &[
            file("./Dockerfile", dockerfile.as_bytes()),
            special("app", tar::EntryType::Directory, ""),
            file("app/data.txt", b"from the tarball\n"),
            special("app/link.txt", tar::EntryType::Symlink, "data.txt"),
        ],
        true,
    );
    let (result, log) = fx.build(Source::Archive(tarball));
    let out = result.unwrap_or_else(|e| panic!("{e}\n{}", log.join("\n")));
    let (copied, _, _) = fx.image_file(&out, "copied").expect("copied");
    assert_eq!(copied, b"from the tarball\n");

    let bad = archive(work.path(), &[file("../x", b"")], false);
    match fx.build(Source::Archive(bad)).0 {
        Err(BuildError::Archive(e)) => assert!(e.to_string().contains("\"../x\""), "{e}"),
        other => panic!("expected an archive refusal, got {other:?}"),
    }
}
