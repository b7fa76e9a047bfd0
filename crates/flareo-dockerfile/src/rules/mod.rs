//! The submission rules: a pure `lint(program, context, config) -> Findings`.

mod base_image;
pub mod config;
pub mod context;
mod entrypoint;
pub mod finding;
mod network;
mod practices;
mod secrets;

pub use config::{ApprovedBase, BaseConfig, LintConfig, SEED_BASE_IMAGES};
pub use context::{BuildContext, MemoryContext};
pub use finding::{CODES, Finding, Severity};
pub use practices::OCI_LABELS;

use crate::image_ref::ImageRef;
use crate::instructions::{Base, Program};

/// Everything a rule needs, in one place.
pub(crate) struct Checked<'a> {
    pub(crate) program: &'a Program<'a>,
    pub(crate) context: &'a dyn BuildContext,
    pub(crate) config: &'a LintConfig,
    pub(crate) file: &'a str,
}

impl Checked<'_> {
    pub(crate) fn finding(
        &self,
        code: &'static str,
        line: usize,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Finding {
        Finding::new(code, self.file, line, message, hint)
    }

    /// The known config of an approved base image.
    pub(crate) fn base_config(&self, base: &Base) -> Option<&BaseConfig> {
        let Base::Image { resolved, .. } = base else {
            return None;
        };
        let reference = ImageRef::parse(resolved).ok()?;
        self.config.approved(&reference)?.config.as_ref()
    }
}

/// Applies every rule to a checked Dockerfile. `file` names the Dockerfile in
/// findings (e.g. `Dockerfile` or `docker/Dockerfile.prod`). Findings come sorted
/// by line, then code; errors reject, warnings do not.
pub fn lint(
    program: &Program<'_>,
    context: &dyn BuildContext,
    config: &LintConfig,
    file: &str,
) -> Vec<Finding> {
    let c = Checked {
        program,
        context,
        config,
        file,
    };
    let mut out = Vec::new();
    for w in &program.file.warnings {
        out.push(c.finding(
            "FL002",
            w.line,
            w.message.clone(),
            "remove the empty line or the trailing escape before it",
        ));
    }
    base_image::check(&c, &mut out);
    network::check(&c, &mut out);
    entrypoint::check(&c, &mut out);
    secrets::check(&c, &mut out);
    practices::check(&c, &mut out);
    out.sort_by(|a, b| (a.line, a.code, &a.message).cmp(&(b.line, b.code, &b.message)));
    out.dedup();
    out
}
