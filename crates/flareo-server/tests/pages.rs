//! The web pages in a real browser: Debian's headless Chromium, driven by
//! playwright-core (`flareo_testkit::Browser`), against a listening server. A
//! maintainer and a reviewer (two browser contexts, two sessions) log in, publish
//! through `/app/publish`, review and approve; forms without the session's CSRF
//! token are refused with a page; the catalog searches and the module page shows
//! the supply-chain facts. No page logs a console error or fails a request.

mod support;

use std::time::Duration;

use flareo_server::Status;
use flareo_server::auth::Role;
use flareo_testkit::{Browser, Page};
use support::{GOOD, Server, context, start};

/// How long a page may take to show what a script or a reload brings.
const WAIT: Duration = Duration::from_secs(15);

/// Logs `page` in as `email` through the form; panics unless it lands on the catalog.
fn log_in(s: &Server, page: &Page, email: &str) {
    page.goto(&format!("{}/login", s.url));
    page.fill("input[name=email]", email);
    page.fill("input[name=password]", "a-long-password");
    let landed = page.submit("form[action='/login'] button");
    assert_eq!(landed.status, 200, "{landed:?}");
    assert_eq!(landed.url, format!("{}/", s.url));
    assert!(
        page.text("nav").contains(&format!("Log out {email}")),
        "{}",
        page.text("nav")
    );
}

/// A module context as `flareo publish` packs it, written to a file to upload.
fn context_file(dir: &std::path::Path, slug: &str, dockerfile: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{slug}-{}.tar.gz", dockerfile.len()));
    std::fs::write(&path, context(slug, dockerfile).1).unwrap();
    path
}

fn assert_no_problems(page: &Page) {
    let problems = page.problems();
    assert!(problems.is_empty(), "the browser saw: {problems:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn maintainer_and_reviewer_publish_and_approve_in_chromium() {
    let s = start().await;
    s.user("maintainer@x.test", Role::Maintainer).await;
    s.user("reviewer@x.test", Role::Reviewer).await;
    let files = tempfile::tempdir().unwrap();
    let browser = Browser::launch();
    let maintainer = browser.new_page();

    // Anonymous: the publish form sends people to log in.
    let landed = maintainer.goto(&format!("{}/app/publish", s.url));
    assert_eq!(landed.url, format!("{}/login", s.url));

    // A wrong password is said so, on the form, with 401.
    maintainer.fill("input[name=email]", "maintainer@x.test");
    maintainer.fill("input[name=password]", "not-the-password");
    let landed = maintainer.submit("form[action='/login'] button");
    assert_eq!(landed.status, 401);
    assert_eq!(maintainer.text(".error"), "wrong e-mail or password");

    log_in(&s, &maintainer, "maintainer@x.test");
    let session = maintainer
        .cookies()
        .into_iter()
        .find(|c| c["name"] == "flareo_session" || c["name"] == "id")
        .unwrap_or_else(|| panic!("a session cookie: {:?}", maintainer.cookies()));
    assert_eq!(session["httpOnly"], true, "{session}");
    assert!(
        ["Lax", "Strict"].contains(&session["sameSite"].as_str().unwrap_or_default()),
        "{session}"
    );

    // A Dockerfile the lint refuses: the form says why, line by line, and keeps
    // nothing.
    let landed = maintainer.goto(&format!("{}/app/publish", s.url));
    assert_eq!(landed.status, 200);
    let bad = context_file(
        files.path(),
        "gamma",
        "FROM mystery.io/x:1\nRUN apk add curl\nENTRYPOINT [\"x\"]\n",
    );
    maintainer.set_file("input[name=context]", &bad);
    let landed = maintainer.submit("form[action='/app/publish'] button");
    assert_eq!(landed.status, 422, "{landed:?}");
    assert!(
        maintainer
            .text("#error")
            .contains("base image not in approved list: mystery.io/x:1"),
        "{}",
        maintainer.text("#error")
    );
    let problems = maintainer.texts("#problems li");
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("Dockerfile:1: error FL101")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("Dockerfile:2: error FL201")),
        "{problems:?}"
    );
    assert!(s.db.submissions(None, 10).await.unwrap().is_empty());

    // A good one, with a tag: submitted, shown pending review.
    let good = context_file(files.path(), "gamma", GOOD);
    maintainer.set_file("input[name=context]", &good);
    maintainer.fill("input[name=tag]", "v2.0.0");
    let landed = maintainer.submit("form[action='/app/publish'] button");
    assert_eq!(landed.status, 200, "{landed:?}");
    let id: i64 = landed
        .url
        .strip_prefix(&format!("{}/submissions/", s.url))
        .unwrap_or_else(|| panic!("{landed:?}"))
        .parse()
        .unwrap();
    assert_eq!(
        maintainer.text("h1"),
        format!("Submission {id}: gamma:v2.0.0")
    );
    assert_eq!(maintainer.text("#status"), "pending_review");

    // The form's CSRF token replaced: refused with a page, nothing submitted.
    maintainer.goto(&format!("{}/app/publish", s.url));
    maintainer.evaluate(
        "document.querySelector(\"form[action='/app/publish'] input[name=csrf]\").value = 'forged'",
    );
    maintainer.set_file("input[name=context]", &good);
    maintainer.fill("input[name=tag]", "v2.0.1");
    let landed = maintainer.submit("form[action='/app/publish'] button");
    assert_eq!(landed.status, 403);
    assert_eq!(landed.title, "403 Forbidden · Flareo");
    assert!(maintainer.text("#error").contains("CSRF token"));
    assert_eq!(s.db.submissions(None, 10).await.unwrap().len(), 1);

    // A maintainer has no review queue.
    let landed = maintainer.goto(&format!("{}/review", s.url));
    assert_ne!(landed.status, 200, "{landed:?}");

    // The reviewer, in another context: the queue, the Dockerfile, approve.
    let reviewer = browser.new_page();
    log_in(&s, &reviewer, "reviewer@x.test");
    reviewer.goto(&format!("{}/review", s.url));
    let landed = reviewer.submit(&format!("a[href='/review/{id}']"));
    assert_eq!(landed.status, 200);
    assert!(
        reviewer.text("pre").contains("FROM busybox:1.35"),
        "{}",
        reviewer.text("pre")
    );
    // A rejection needs a reason: said on a page, nothing decided.
    let landed = reviewer.submit("button[value=reject]");
    assert_eq!(landed.status, 400);
    assert!(
        reviewer
            .text("#error")
            .contains("a rejection needs a reason")
    );
    assert_eq!(
        s.db.submission(id).await.unwrap().status,
        Status::PendingReview
    );
    reviewer.goto(&format!("{}/review/{id}", s.url));
    reviewer.fill("input[name=reason]", "reads well");
    let landed = reviewer.submit("button[value=approve]");
    assert_eq!(landed.status, 200, "{landed:?}");
    // Approved, it waits for a worker.
    assert_eq!(s.db.submission(id).await.unwrap().status, Status::Queued);
    reviewer.goto(&format!("{}/review", s.url));
    assert!(reviewer.text("body").contains("Nothing waits for review."));

    // The maintainer sees the decision in the history, then follows the build
    // live on the same page: a worker claims it and logs, and the page shows the
    // lines and the status without a reload; once published, the page reloads
    // with the pull URL.
    maintainer.goto(&format!("{}/submissions/{id}", s.url));
    assert_eq!(maintainer.text("#status"), "queued");
    assert!(maintainer.text("table").contains("reads well"));
    let job =
        s.db.claim("seed", Duration::from_secs(60))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(job.submission_id, id);
    s.db.set_status(id, Status::Building, None).await.unwrap();
    s.db.append_log(id, &["STEP 1/2: FROM busybox:1.35".into()])
        .await
        .unwrap();
    let log = maintainer.wait_for_text("#log", "STEP 1/2: FROM busybox:1.35", WAIT);
    assert_eq!(log.trim(), "STEP 1/2: FROM busybox:1.35");
    maintainer.wait_for_text("#status", "building", WAIT);
    s.db.append_log(id, &["STEP 2/2: USER nobody".into(), "COMMIT".into()])
        .await
        .unwrap();
    let log = maintainer.wait_for_text("#log", "COMMIT", WAIT);
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        [
            "STEP 1/2: FROM busybox:1.35",
            "STEP 2/2: USER nobody",
            "COMMIT"
        ],
        "each line once, in order"
    );
    let digest = format!("sha256:{}", "cd".repeat(32));
    support::publish_claimed(&s.db, &job, "gamma", "gamma", "productivity", &digest, None).await;
    maintainer.wait_for_text("#status", "published", WAIT);
    assert!(
        maintainer.text("body").contains(&format!(
            "Pull: {}/gamma@{digest}",
            s.url.trim_start_matches("http://")
        )),
        "{}",
        maintainer.text("body")
    );
    assert_eq!(
        maintainer.attribute("#log", "data-live").as_deref(),
        Some("false"),
        "the reloaded page has stopped following"
    );
    assert_eq!(maintainer.count("script"), 0);
    maintainer.goto(&format!("{}/submissions", s.url));
    assert!(
        maintainer
            .texts("table tr")
            .iter()
            .any(|r| r.contains("gamma") && r.contains("published")),
        "{:?}",
        maintainer.texts("table tr")
    );

    // Logging out ends the session: the publish form asks to log in again.
    let landed = maintainer.submit("nav form[action='/logout'] button");
    assert_eq!(landed.url, format!("{}/", s.url));
    assert!(maintainer.text("nav").contains("Log in"));
    let landed = maintainer.goto(&format!("{}/app/publish", s.url));
    assert_eq!(landed.url, format!("{}/login", s.url));

    assert_no_problems(&maintainer);
    assert_no_problems(&reviewer);
}

#[tokio::test(flavor = "multi_thread")]
async fn catalog_search_and_module_page_in_chromium() {
    let s = start().await;
    let digest = format!("sha256:{}", "ab".repeat(32));
    for (slug, name, category) in [
        ("notes", "Notes", "productivity"),
        ("photos", "Photo Library", "media"),
        ("tasks", "Task Board", "productivity"),
    ] {
        support::seed_module(&s.db, slug, name, category, &digest).await;
    }
    s.db.record_signatures(
        "photos",
        &digest,
        &[
            (String::new(), format!("sha256:{}", "01".repeat(32)), 7),
            (
                "https://slsa.dev/provenance/v1".into(),
                format!("sha256:{}", "02".repeat(32)),
                8,
            ),
        ],
    )
    .await
    .unwrap();
    // Every page forbids inline code, framing and sniffing; the stylesheet and
    // script are served with their types.
    let r = s.http.get(format!("{}/", s.url)).send().await.unwrap();
    let h = r.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "same-origin");
    for (file, kind) in [
        ("flareo.css", "text/css; charset=utf-8"),
        ("live-log.js", "text/javascript; charset=utf-8"),
    ] {
        let r = s
            .http
            .get(format!("{}/static/{file}", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], kind);
    }
    let r = s
        .http
        .get(format!("{}/static/nope.js", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let browser = Browser::launch();
    let page = browser.new_page();

    let landed = page.goto(&format!("{}/app/modules", s.url));
    // The stylesheet applied (CSP lets it load): the body is capped at 60rem.
    assert_eq!(
        page.evaluate("getComputedStyle(document.body).maxWidth"),
        "960px"
    );
    assert_eq!(landed.status, 200);
    assert_eq!(page.count("#modules tr"), 4, "a header and three modules");

    // Pages of two, through the "Next page" link, to the end.
    page.goto(&format!("{}/?limit=2", s.url));
    assert_eq!(page.count("#modules tr"), 3);
    let landed = page.submit("#next");
    assert_eq!(landed.url, format!("{}/?after=photos&limit=2", s.url));
    assert_eq!(page.texts("#modules tr").len(), 2);
    assert!(page.text("#modules").contains("Task Board"));
    assert_eq!(page.count("#next"), 0, "the last page has no next");

    page.goto(&format!("{}/app/modules", s.url));
    page.fill("input[name=q]", "photo");
    let landed = page.submit("form[action='/'] button");
    assert_eq!(landed.url, format!("{}/?q=photo", s.url));
    let rows = page.texts("#modules tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[1].contains("Photo Library") && rows[1].contains(&digest));

    let landed = page.submit("a[href='/modules/photos']");
    assert_eq!(landed.status, 200);
    assert_eq!(landed.title, "Photo Library · Flareo");
    assert_eq!(page.text("#digest"), digest);
    let pull = page.text("#pull");
    assert!(pull.ends_with(&format!("/photos@{digest}")), "{pull}");
    let body = page.text("body");
    for fact in [
        "3000",
        "/data",
        "wget -q --spider http://localhost:3000/health",
    ] {
        assert!(body.contains(fact), "{fact} missing from {body}");
    }
    assert_eq!(page.text("#verdict"), "Verdict: pass (the build's scan)");
    let signed = page.texts("#signatures tr");
    assert_eq!(signed.len(), 3, "{signed:?}");
    assert!(signed[1].starts_with("image signature\t7"), "{signed:?}");
    assert!(
        signed[2].starts_with("https://slsa.dev/provenance/v1\t8"),
        "{signed:?}"
    );
    assert_eq!(
        page.attribute("#signatures a", "href").as_deref(),
        Some("/api/v1/log/entries?logIndex=7")
    );
    assert_eq!(
        page.text("#verify"),
        format!(
            "flareo trust-root --remote --server {} -o flareo-root.json\nflareo verify {pull} --trust-root flareo-root.json",
            s.url
        )
    );
    page.screenshot(&s.dir.path().join("module.png"));

    // An unknown module is a page that says so.
    let landed = page.goto(&format!("{}/modules/nope", s.url));
    assert_eq!(landed.status, 404);
    assert!(
        page.text("#error").contains("nope"),
        "{}",
        page.text("body")
    );

    // A module without signatures says it has none.
    page.goto(&format!("{}/modules/notes", s.url));
    assert!(
        page.text("body")
            .contains("This image carries no signature.")
    );
    assert_no_problems(&page);
}
