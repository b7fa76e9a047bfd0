//! Approved base images: every `FROM` image (and `COPY --from=`/`--mount from=`
//! image) must be on the approved list, and match its pinned digest.

use super::{Checked, Finding};
use crate::image_ref::ImageRef;
use crate::instructions::Base;

/// Checks each stage's base and every image used through `--from`.
pub(crate) fn check(c: &Checked<'_>, out: &mut Vec<Finding>) {
    for stage in &c.program.stages {
        check_base(c, &stage.base, stage.from.start_line, out);
        for node in &stage.body {
            let mut froms: Vec<&str> = node.flag_values("from");
            for mount in node.flag_values("mount") {
                froms.extend(mount.split(',').filter_map(|kv| kv.strip_prefix("from=")));
            }
            for from in froms {
                let base = c.program.resolve_from(from, stage.index);
                check_base(c, &base, node.start_line, out);
            }
        }
    }
}

fn check_base(c: &Checked<'_>, base: &Base, line: usize, out: &mut Vec<Finding>) {
    let Base::Image {
        written,
        resolved,
        unresolved,
    } = base
    else {
        return;
    };
    let hint_list = || {
        format!(
            "use an approved base image ({}) or request an addition in the submission notes",
            c.config
                .approved_bases
                .iter()
                .map(|b| b.image.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    if !unresolved.is_empty() {
        out.push(c.finding(
            "FL101",
            line,
            format!("base image not in approved list: {written}"),
            format!(
                "ARG {} has no default; Flareo builds with ARG defaults, so give it one that names an approved image",
                unresolved.join(", ")
            ),
        ));
        return;
    }
    let reference = match ImageRef::parse(resolved) {
        Ok(r) => r,
        Err(why) => {
            out.push(c.finding(
                "FL101",
                line,
                format!("base image not in approved list: {resolved}"),
                format!("{why}; {}", hint_list()),
            ));
            return;
        }
    };
    let Some(approved) = c.config.approved(&reference) else {
        out.push(c.finding(
            "FL101",
            line,
            format!("base image not in approved list: {}", reference.familiar()),
            hint_list(),
        ));
        return;
    };
    if let (Some(want), Some(got)) = (&approved.digest, &reference.digest)
        && want != got
    {
        out.push(c.finding(
            "FL102",
            line,
            format!(
                "base image digest does not match the approved pin: {} (approved: {want})",
                reference.familiar()
            ),
            format!(
                "use FROM {}@{want}, or just the tag and Flareo pins it for you",
                approved.image
            ),
        ));
    }
}
