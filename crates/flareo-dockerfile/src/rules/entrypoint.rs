//! The final image must say how to run the service: an `ENTRYPOINT` or `CMD` in
//! the final stage, a stage it builds on, or an approved base whose config is known.

use super::{Checked, Finding};
use crate::instructions::Base;

pub(crate) fn check(c: &Checked<'_>, out: &mut Vec<Finding>) {
    let program = c.program;
    let chain = program.ancestry(program.final_stage().index);
    let declared = chain.iter().flat_map(|s| s.body.iter()).any(|n| {
        matches!(n.keyword().as_str(), "cmd" | "entrypoint")
            && n.args.iter().any(|a| !a.trim().is_empty())
    });
    if declared {
        return;
    }
    let root = chain.last().expect("ancestry is never empty");
    if let Some(config) = c.base_config(&root.base)
        && (!config.entrypoint.is_empty() || !config.cmd.is_empty())
    {
        return;
    }
    let final_from = program.final_stage().from.start_line;
    let from_what = match &root.base {
        Base::Image { resolved, .. } => {
            format!(" and its base {resolved} sets none Flareo knows of")
        }
        _ => String::new(),
    };
    out.push(c.finding(
        "FL301",
        final_from,
        format!(
            "no ENTRYPOINT or CMD: the final stage does not say how to run the service{from_what}"
        ),
        "add ENTRYPOINT [\"/path/to/server\"] (exec form) to the final stage",
    ));
}
