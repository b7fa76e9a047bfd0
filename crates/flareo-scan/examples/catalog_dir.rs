//! Catalogs the packages in a directory as if it were one image layer.
//!
//! The directory is packed into an in-memory, uncompressed tar layer (paths
//! relative to the directory), scanned with the image cataloger, and each package
//! printed as one JSON object per line: `purl`, `name`, `version`, `location`.
//! Used by `scripts/recall-compare.sh` to compare recall with other tools.
//!
//! ```text
//! cargo run -q -p flareo-scan --example catalog_dir -- DIR
//! ```

use std::io::Write;
use std::process::ExitCode;

use flareo_scan::catalog::image;
use flareo_scan::layers::scan_image;

/// One output line (fields in this order).
#[derive(serde::Serialize)]
struct Line<'a> {
    purl: &'a str,
    name: &'a str,
    version: &'a str,
    location: &'a str,
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: catalog_dir DIR");
        return ExitCode::from(2);
    };
    match run(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("catalog_dir: {dir}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    builder.append_dir_all(".", dir)?;
    let layer = builder.into_inner()?;
    let (files, _secrets) = scan_image(&[&layer], image::wanted)?;
    let mut out = std::io::stdout().lock();
    for found in image::catalog(&files) {
        let p = &found.package;
        let line = Line {
            purl: &p.purl,
            name: &p.name,
            version: &p.version,
            location: &p.location,
        };
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
