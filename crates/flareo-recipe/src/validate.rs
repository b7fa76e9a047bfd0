//! Turning the spanned YAML tree into a [`Recipe`], collecting every problem.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Category, EntryPath, License, Recipe, RefPattern, Runtime, Slug, Upstream};
use crate::problem::{RecipeErrors, RecipeProblem};
use crate::tree::{self, Node, Value};

/// Largest recipe accepted, in bytes.
pub const MAX_RECIPE_BYTES: usize = 64 * 1024;

const TOP_KEYS: [&str; 7] = [
    "slug", "name", "author", "category", "license", "upstream", "runtime",
];
const UPSTREAM_KEYS: [&str; 3] = ["source", "ref_pattern", "entry"];
const RUNTIME_KEYS: [&str; 4] = ["ports", "volumes", "default_env", "healthcheck"];

/// Parses and validates a recipe. Collects every problem (not only the first),
/// sorted by line; never panics.
pub fn parse(text: &str) -> Result<Recipe, RecipeErrors> {
    let mut cx = Cx::default();
    let recipe = cx.recipe(text);
    if cx.problems.is_empty()
        && let Some(recipe) = recipe
    {
        return Ok(recipe);
    }
    cx.problems
        .sort_by_key(|p| (p.line.unwrap_or(0), p.field.clone()));
    Err(RecipeErrors(cx.problems))
}

#[derive(Default)]
struct Cx {
    problems: Vec<RecipeProblem>,
}

/// A mapping's entries by key, with the line of each key.
type Fields<'a> = BTreeMap<&'a str, (usize, &'a Node)>;

impl Cx {
    fn push(
        &mut self,
        code: &'static str,
        field: &str,
        line: Option<usize>,
        message: String,
        hint: Option<String>,
    ) {
        self.problems.push(RecipeProblem {
            code,
            field: field.to_string(),
            line,
            message,
            hint,
        });
    }

    fn recipe(&mut self, text: &str) -> Option<Recipe> {
        if text.len() > MAX_RECIPE_BYTES {
            self.push(
                "R006",
                "",
                None,
                format!(
                    "recipe is {} bytes, more than the {MAX_RECIPE_BYTES}-byte limit",
                    text.len()
                ),
                Some(
                    "a recipe is a few lines of YAML; move anything else out of flareo.yaml".into(),
                ),
            );
            return None;
        }
        let root = match tree::parse(text) {
            Ok(root) => root,
            Err(e) => {
                self.push(
                    "R001",
                    "",
                    e.line,
                    format!("invalid YAML: {}", e.message),
                    Some("fix the YAML syntax".into()),
                );
                return None;
            }
        };
        let top = self.fields(&root, "", &TOP_KEYS, None)?;
        let slug = self
            .required(&top, "slug", "", None)
            .and_then(|(l, n)| self.slug(n, l));
        let name = self
            .required(&top, "name", "", None)
            .and_then(|(l, n)| self.text(n, "name", l));
        let author = self
            .required(&top, "author", "", None)
            .and_then(|(l, n)| self.text(n, "author", l));
        let category = self
            .required(&top, "category", "", None)
            .and_then(|(l, n)| self.category(n, l));
        let license = self
            .required(&top, "license", "", None)
            .and_then(|(l, n)| self.license(n, l));
        let upstream = self
            .required(&top, "upstream", "", None)
            .and_then(|(l, n)| self.upstream(n, l));
        let runtime = match top.get("runtime") {
            Some(&(line, node)) => self.runtime(node, line),
            None => Some(Runtime::default()),
        };
        Some(Recipe {
            slug: slug?,
            name: name?,
            author: author?,
            category: category?,
            license: license?,
            upstream: upstream?,
            runtime: runtime?,
        })
    }

    /// The entries of a mapping node, reporting unknown keys with a hint.
    fn fields<'a>(
        &mut self,
        node: &'a Node,
        path: &str,
        allowed: &[&str],
        key_line: Option<usize>,
    ) -> Option<Fields<'a>> {
        let Value::Map(entries) = &node.value else {
            let (code, what) = if path.is_empty() {
                ("R002", "the recipe".to_string())
            } else {
                ("R005", format!("`{path}`"))
            };
            self.push(
                code,
                path,
                key_line.or(Some(node.line)),
                format!(
                    "{what} must be a mapping of keys to values, found {}",
                    node.value.kind()
                ),
                Some(format!("expected keys: {}", allowed.join(", "))),
            );
            return None;
        };
        let mut out = BTreeMap::new();
        for (key, line, value) in entries {
            if allowed.contains(&key.as_str()) {
                out.insert(key.as_str(), (*line, value));
                continue;
            }
            let field = join(path, key);
            let hint = did_you_mean(key, allowed)
                .map(|k| format!("did you mean `{k}`?"))
                .unwrap_or_else(|| format!("allowed keys here: {}", allowed.join(", ")));
            self.push(
                "R003",
                &field,
                Some(*line),
                format!("unknown key `{field}`"),
                Some(hint),
            );
        }
        Some(out)
    }

    fn required<'a>(
        &mut self,
        fields: &Fields<'a>,
        key: &str,
        path: &str,
        parent_line: Option<usize>,
    ) -> Option<(usize, &'a Node)> {
        let found = fields.get(key).copied();
        if found.is_none() {
            let field = join(path, key);
            self.push(
                "R004",
                &field,
                parent_line,
                format!("required key `{field}` is missing"),
                Some(format!("add `{key}:`")),
            );
        }
        found
    }

    /// A scalar as text (integers and numbers are accepted as their decimal form).
    fn string(&mut self, node: &Node, field: &str, key_line: usize) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            other => {
                self.push(
                    "R005",
                    field,
                    Some(line(node, key_line)),
                    format!("`{field}` must be a string, found {}", other.kind()),
                    None,
                );
                None
            }
        }
    }

    fn slug(&mut self, node: &Node, key_line: usize) -> Option<Slug> {
        let s = self.string(node, "slug", key_line)?;
        let ok = !s.is_empty()
            && s.len() <= 63
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            return Some(Slug(s));
        }
        let suggestion: String = s
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .trim_matches('-')
            .chars()
            .take(63)
            .collect();
        let hint = if suggestion.is_empty() {
            "use 1-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit".to_string()
        } else {
            format!("use 1-63 lower-case letters, digits and hyphens, e.g. `{suggestion}`")
        };
        self.push(
            "R010",
            "slug",
            Some(line(node, key_line)),
            format!("slug {s:?} is not a lower-case DNS label"),
            Some(hint),
        );
        None
    }

    fn text(&mut self, node: &Node, field: &str, key_line: usize) -> Option<String> {
        let s = self.string(node, field, key_line)?;
        let t = s.trim();
        let problem = if t.is_empty() {
            Some(format!("`{field}` is empty"))
        } else if t.chars().count() > 100 {
            Some(format!(
                "`{field}` is {} characters, more than 100",
                t.chars().count()
            ))
        } else if t.chars().any(char::is_control) {
            Some(format!("`{field}` contains control characters"))
        } else {
            None
        };
        match problem {
            Some(message) => {
                self.push(
                    "R011",
                    field,
                    Some(line(node, key_line)),
                    message,
                    Some(format!("give a short plain-text {field}")),
                );
                None
            }
            None => Some(t.to_string()),
        }
    }

    fn category(&mut self, node: &Node, key_line: usize) -> Option<Category> {
        let s = self.string(node, "category", key_line)?;
        if let Some(c) = Category::ALL.iter().find(|c| **c == s) {
            return Some(Category(c));
        }
        let hint = did_you_mean(&s.to_ascii_lowercase(), &Category::ALL)
            .map(|c| format!("did you mean `{c}`?"))
            .unwrap_or_else(|| format!("known categories: {}", Category::ALL.join(", ")));
        self.push(
            "R012",
            "category",
            Some(line(node, key_line)),
            format!("unknown category {s:?}"),
            Some(hint),
        );
        None
    }

    fn license(&mut self, node: &Node, key_line: usize) -> Option<License> {
        let s = self.string(node, "license", key_line)?;
        match spdx::Expression::parse(&s) {
            Ok(expression) => Some(License {
                text: s,
                expression,
            }),
            Err(e) => {
                let hint = s
                    .split_whitespace()
                    .find_map(|word| {
                        spdx::imprecise_license_id(word.trim_matches(['(', ')']))
                            .map(|(id, _)| id.name)
                            .filter(|name| *name != word)
                    })
                    .map(|name| format!("did you mean `{name}`? (see https://spdx.org/licenses/)"))
                    .unwrap_or_else(|| "use an SPDX license expression, e.g. `MIT` or `Apache-2.0 OR MIT` (see https://spdx.org/licenses/)".into());
                self.push(
                    "R013",
                    "license",
                    Some(line(node, key_line)),
                    format!("license {s:?} is not a valid SPDX expression: {}", e.reason),
                    Some(hint),
                );
                None
            }
        }
    }

    fn upstream(&mut self, node: &Node, key_line: usize) -> Option<Upstream> {
        let fields = self.fields(node, "upstream", &UPSTREAM_KEYS, Some(key_line))?;
        let parent = Some(key_line);
        let source = self
            .required(&fields, "source", "upstream", parent)
            .and_then(|(l, n)| self.source(n, l));
        let ref_pattern = self
            .required(&fields, "ref_pattern", "upstream", parent)
            .and_then(|(l, n)| self.ref_pattern(n, l));
        let entry = self
            .required(&fields, "entry", "upstream", parent)
            .and_then(|(l, n)| self.entry(n, l));
        Some(Upstream {
            source: source?,
            ref_pattern: ref_pattern?,
            entry: entry?,
        })
    }

    fn source(&mut self, node: &Node, key_line: usize) -> Option<String> {
        let s = self.string(node, "upstream.source", key_line)?;
        let t = s.trim();
        let url_ok = ["https://", "http://", "git://", "ssh://", "file://"]
            .iter()
            .any(|scheme| {
                t.strip_prefix(scheme).is_some_and(|rest| {
                    let host = rest.split('/').next().unwrap_or_default();
                    (*scheme == "file://" && rest.starts_with('/'))
                        || (!host.is_empty() && !host.contains(char::is_whitespace))
                })
            });
        let scp_ok = t
            .strip_prefix("git@")
            .and_then(|r| r.split_once(':'))
            .is_some_and(|(h, p)| !h.is_empty() && !p.is_empty());
        if (url_ok || scp_ok) && !t.contains(char::is_whitespace) {
            return Some(t.to_string());
        }
        self.push(
            "R020",
            "upstream.source",
            Some(line(node, key_line)),
            format!("upstream.source {s:?} is not a repository URL"),
            Some(
                "use https://host/owner/repo (or git://, ssh://, file://, git@host:owner/repo)"
                    .into(),
            ),
        );
        None
    }

    fn ref_pattern(&mut self, node: &Node, key_line: usize) -> Option<RefPattern> {
        let s = self.string(node, "upstream.ref_pattern", key_line)?;
        let built = if s.trim().is_empty() {
            Err("it is empty".to_string())
        } else {
            globset::GlobBuilder::new(&s)
                .literal_separator(false)
                .build()
                .map_err(|e| e.kind().to_string())
        };
        match built {
            Ok(glob) => Some(RefPattern {
                text: s,
                matcher: glob.compile_matcher(),
            }),
            Err(why) => {
                self.push(
                    "R021",
                    "upstream.ref_pattern",
                    Some(line(node, key_line)),
                    format!("ref_pattern {s:?} is not a valid tag glob: {why}"),
                    Some("use a glob over tag names, e.g. \"v*.*.*\"".into()),
                );
                None
            }
        }
    }

    fn entry(&mut self, node: &Node, key_line: usize) -> Option<EntryPath> {
        let s = self.string(node, "upstream.entry", key_line)?;
        let result = normalise_relative(&s);
        match result {
            Ok(p) => Some(EntryPath(p)),
            Err(why) => {
                self.push(
                    "R022",
                    "upstream.entry",
                    Some(line(node, key_line)),
                    format!("entry {s:?} {why}"),
                    Some("give a path relative to the source root, e.g. ./Dockerfile".into()),
                );
                None
            }
        }
    }

    fn runtime(&mut self, node: &Node, key_line: usize) -> Option<Runtime> {
        if node.value == Value::Null {
            return Some(Runtime::default());
        }
        let fields = self.fields(node, "runtime", &RUNTIME_KEYS, Some(key_line))?;
        let before = self.problems.len();
        let mut rt = Runtime::default();
        if let Some(&(kl, n)) = fields.get("ports") {
            rt.ports = self.ports(n, kl);
        }
        if let Some(&(kl, n)) = fields.get("volumes") {
            rt.volumes = self.volumes(n, kl);
        }
        if let Some(&(kl, n)) = fields.get("default_env") {
            rt.default_env = self.env(n, kl);
        }
        if let Some(&(kl, n)) = fields.get("healthcheck") {
            rt.healthcheck = self.healthcheck(n, kl);
        }
        (self.problems.len() == before).then_some(rt)
    }

    fn list<'a>(&mut self, node: &'a Node, field: &str, key_line: usize) -> &'a [Node] {
        match &node.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            other => {
                self.push(
                    "R005",
                    field,
                    Some(line(node, key_line)),
                    format!("`{field}` must be a list, found {}", other.kind()),
                    Some(format!("write `{field}: [...]`").replace("runtime.", "")),
                );
                &[]
            }
        }
    }

    fn ports(&mut self, node: &Node, key_line: usize) -> Vec<u16> {
        let mut out: Vec<u16> = Vec::new();
        for (i, item) in self
            .list(node, "runtime.ports", key_line)
            .iter()
            .enumerate()
        {
            let field = format!("runtime.ports[{i}]");
            let port = match &item.value {
                Value::Int(p) if (1..=65535).contains(p) => u16::try_from(*p).ok(),
                Value::Int(p) => {
                    self.push(
                        "R030",
                        &field,
                        Some(item.line),
                        format!("port {p} is out of range 1-65535"),
                        None,
                    );
                    continue;
                }
                other => {
                    self.push(
                        "R005",
                        &field,
                        Some(item.line),
                        format!("port must be an integer, found {}", other.kind()),
                        Some("write ports as numbers: [3000, 8080]".into()),
                    );
                    continue;
                }
            };
            let Some(port) = port else { continue };
            if out.contains(&port) {
                self.push(
                    "R031",
                    &field,
                    Some(item.line),
                    format!("port {port} is listed twice"),
                    Some("list each port once".into()),
                );
            } else {
                out.push(port);
            }
        }
        out
    }

    fn volumes(&mut self, node: &Node, key_line: usize) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (i, item) in self
            .list(node, "runtime.volumes", key_line)
            .iter()
            .enumerate()
        {
            let field = format!("runtime.volumes[{i}]");
            let Value::Str(s) = &item.value else {
                self.push(
                    "R005",
                    &field,
                    Some(item.line),
                    format!("volume must be a path string, found {}", item.value.kind()),
                    None,
                );
                continue;
            };
            let problem = if !s.starts_with('/') {
                Some(format!("volume {s:?} is not an absolute path"))
            } else if s.split('/').any(|c| c == ".." || c == ".") {
                Some(format!("volume {s:?} contains `.` or `..`"))
            } else if s.contains('\0') {
                Some(format!("volume {s:?} contains a NUL byte"))
            } else {
                None
            };
            if let Some(message) = problem {
                self.push(
                    "R032",
                    &field,
                    Some(item.line),
                    message,
                    Some("use an absolute path such as /data".into()),
                );
                continue;
            }
            let normal = format!(
                "/{}",
                s.split('/')
                    .filter(|c| !c.is_empty())
                    .collect::<Vec<_>>()
                    .join("/")
            );
            if normal == "/" {
                self.push(
                    "R032",
                    &field,
                    Some(item.line),
                    "volume \"/\" would cover the whole filesystem".into(),
                    Some("name the directory the app writes state to, e.g. /data".into()),
                );
                continue;
            }
            if out.contains(&normal) {
                self.push(
                    "R033",
                    &field,
                    Some(item.line),
                    format!("volume {normal} is listed twice"),
                    Some("list each volume once".into()),
                );
            } else {
                out.push(normal);
            }
        }
        out
    }

    fn env(&mut self, node: &Node, key_line: usize) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let entries = match &node.value {
            Value::Map(e) => e,
            Value::Null => return out,
            other => {
                self.push(
                    "R005",
                    "runtime.default_env",
                    Some(line(node, key_line)),
                    format!(
                        "`runtime.default_env` must be a mapping, found {}",
                        other.kind()
                    ),
                    Some("write `default_env: {NAME: value}`".into()),
                );
                return out;
            }
        };
        let mut seen = BTreeSet::new();
        for (key, kl, value) in entries {
            let field = format!("runtime.default_env.{key}");
            let valid = key
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                self.push(
                    "R034",
                    &field,
                    Some(*kl),
                    format!("{key:?} is not a valid environment variable name"),
                    Some("use letters, digits and _, not starting with a digit".into()),
                );
                continue;
            }
            let v = match &value.value {
                Value::Str(s) => s.clone(),
                Value::Int(i) => i.to_string(),
                Value::Float(f) => f.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => String::new(),
                other => {
                    self.push(
                        "R005",
                        &field,
                        Some(value.line),
                        format!("`{field}` must be a scalar, found {}", other.kind()),
                        None,
                    );
                    continue;
                }
            };
            if seen.insert(key.clone()) {
                out.insert(key.clone(), v);
            }
        }
        out
    }

    fn healthcheck(&mut self, node: &Node, key_line: usize) -> Option<String> {
        match &node.value {
            Value::Str(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Null => None,
            Value::Str(_) => {
                self.push(
                    "R035",
                    "runtime.healthcheck",
                    Some(line(node, key_line)),
                    "healthcheck is empty".into(),
                    Some("give the command that checks the service, or remove the key".into()),
                );
                None
            }
            other => {
                self.push(
                    "R035",
                    "runtime.healthcheck",
                    Some(line(node, key_line)),
                    format!(
                        "healthcheck must be a command string, found {}",
                        other.kind()
                    ),
                    Some(
                        "write it as one string: \"wget -q --spider http://localhost:3000/health\""
                            .into(),
                    ),
                );
                None
            }
        }
    }
}

/// The line of a value, falling back to its key's line.
fn line(node: &Node, key_line: usize) -> usize {
    if node.line > 0 { node.line } else { key_line }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The closest allowed word within edit distance 2.
fn did_you_mean<'a>(word: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (strsim::damerau_levenshtein(word, a), *a))
        .filter(|(d, a)| *d <= 2.min(a.len().saturating_sub(1)).max(1))
        .min()
        .map(|(_, a)| a)
}

/// Normalises a relative path, refusing absolute paths and escapes from the root.
fn normalise_relative(p: &str) -> Result<String, &'static str> {
    if p.trim().is_empty() {
        return Err("is empty");
    }
    if p.contains('\0') || p.contains('\\') {
        return Err("contains a NUL or backslash");
    }
    if p.starts_with('/') {
        return Err("is absolute; it must be relative to the source root");
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("escapes the source root with `..`");
                }
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return Err("names the source root, not a file");
    }
    Ok(parts.join("/"))
}
