//! `flareo modules`: the public catalog: list (search, category) and show one.

use std::process::ExitCode;

use flareo_server::catalog::ListPage;

use super::client::{Client, ServerArgs, block_on, print_json, when};

/// Arguments of `flareo modules`.
#[derive(Debug, clap::Args)]
pub struct ModulesArgs {
    /// Show this module (else list them).
    slug: Option<String>,
    /// Search slug, name and author.
    #[arg(long, short)]
    query: Option<String>,
    /// Only this category.
    #[arg(long)]
    category: Option<String>,
    /// Modules fetched per request; the list follows every page either way.
    #[arg(long, default_value_t = ListPage::MAX,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(ListPage::MAX)))]
    page_size: u32,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    server: ServerArgs,
}

/// `s` percent-encoded for a path segment or a query value.
fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Lists or shows modules.
pub fn run(args: &ModulesArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.server)?;
    if let Some(slug) = &args.slug {
        let m = block_on(client.get(
            &format!("/api/v1/modules/{}", encode(slug)),
            "reading the module",
        ))?;
        if args.json {
            print_json(&m);
        } else {
            println!(
                "{} ({}) by {}",
                m["name"].as_str().unwrap_or_default(),
                m["slug"].as_str().unwrap_or_default(),
                m["author"].as_str().unwrap_or_default()
            );
            println!(
                "category {}  license {}",
                m["category"].as_str().unwrap_or_default(),
                m["license"].as_str().unwrap_or_default()
            );
            println!(
                "tag {}  digest {}",
                m["tag"].as_str().unwrap_or_default(),
                m["digest"].as_str().unwrap_or_default()
            );
            println!("pull {}", m["pull_url"].as_str().unwrap_or_default());
            println!(
                "ports {}  volumes {}",
                m["runtime"]["ports"], m["runtime"]["volumes"]
            );
            for b in m["builds"].as_array().into_iter().flatten() {
                println!(
                    "  build of submission {} ({}): {} {}",
                    b["submission_id"],
                    when(b["queued_at"].as_i64().unwrap_or(0)),
                    b["status"].as_str().unwrap_or_default(),
                    b["digest"].as_str().unwrap_or_default()
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut query = Vec::new();
    if let Some(q) = &args.query {
        query.push(format!("q={}", encode(q)));
    }
    if let Some(c) = &args.category {
        query.push(format!("category={}", encode(c)));
    }
    // Every page, following `next`.
    let mut modules = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut page = query.clone();
        page.push(format!("limit={}", args.page_size));
        if let Some(a) = &after {
            page.push(format!("after={}", encode(a)));
        }
        let list = block_on(client.get(
            &format!("/api/v1/modules?{}", page.join("&")),
            "listing modules",
        ))?;
        modules.extend(list["modules"].as_array().cloned().unwrap_or_default());
        match list["next"].as_str() {
            Some(next) => after = Some(next.to_string()),
            None => break,
        }
    }
    if args.json {
        print_json(&serde_json::json!({ "modules": modules }));
    } else {
        for m in &modules {
            println!(
                "{:<24} {:<16} {:<8} {}",
                m["slug"].as_str().unwrap_or_default(),
                m["category"].as_str().unwrap_or_default(),
                m["tag"].as_str().unwrap_or_default(),
                m["pull_url"].as_str().unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
