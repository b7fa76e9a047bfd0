//! The HTTP API for real (a listening server, a SQLite file, blobs on disk):
//! the authorization matrix (every endpoint × anonymous, two maintainers, a
//! reviewer and an admin), tokens (scoped, revocable), sessions with CSRF, the
//! review flow's rules and the error shape.

mod support;

use flareo_server::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{GOOD, Server, context, start};

#[tokio::test]
async fn authorization_matrix() {
    let s = start().await;
    let m1 = s.user("m1@x.test", Role::Maintainer).await;
    let m2 = s.user("m2@x.test", Role::Maintainer).await;
    let rev = s.user("rev@x.test", Role::Reviewer).await;
    let admin = s.user("admin@x.test", Role::Admin).await;
    let who: [(&str, Option<&str>); 5] = [
        ("anonymous", None),
        ("m1", Some(&m1)),
        ("m2", Some(&m2)),
        ("reviewer", Some(&rev)),
        ("admin", Some(&admin)),
    ];

    // Submitting: maintainers and admins; not reviewers, not anonymous.
    let (st, v) = s.submit(Some(&m1), "alpha", GOOD, false).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let expected_submit = [401, 201, 201, 403, 201];
    for ((name, token), want) in who.iter().zip(expected_submit) {
        let (st, v) = s.submit(*token, &format!("m-{name}"), GOOD, false).await;
        assert_eq!(st.as_u16(), want, "{name} submits: {v}");
    }

    let p = |x: &str| x.replace("{id}", &id.to_string());
    // (method, path, body, expected status per [anonymous, m1, m2, reviewer, admin])
    let table: Vec<(Method, String, Option<Value>, [u16; 5])> = vec![
        (Method::GET, p("/api/v1/modules"), None, [200; 5]),
        (Method::GET, p("/api/v1/modules/alpha"), None, [404; 5]),
        (Method::GET, p("/api/v1/modules/alpha/sbom"), None, [404; 5]),
        (
            Method::GET,
            p("/api/v1/modules/alpha/vulnerabilities"),
            None,
            [404; 5],
        ),
        (Method::GET, p("/healthz"), None, [200; 5]),
        (Method::GET, p("/metrics"), None, [200; 5]),
        (Method::GET, p("/api/v1/openapi.json"), None, [200; 5]),
        (
            Method::GET,
            p("/api/v1/me"),
            None,
            [401, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            p("/api/v1/submissions"),
            None,
            [401, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            p("/api/v1/submissions/{id}"),
            None,
            [401, 200, 404, 200, 200],
        ),
        (
            Method::GET,
            p("/api/v1/submissions/{id}/log"),
            None,
            [401, 200, 404, 200, 200],
        ),
        (
            Method::GET,
            p("/api/v1/review"),
            None,
            [401, 403, 403, 200, 200],
        ),
        (
            Method::GET,
            p("/api/v1/review/{id}"),
            None,
            [401, 403, 403, 200, 200],
        ),
        (
            Method::POST,
            p("/api/v1/submissions/{id}/reject"),
            Some(json!({"reason": "x"})),
            [401, 403, 403, 0, 0],
        ),
        (
            Method::POST,
            p("/api/v1/submissions/{id}/approve"),
            Some(json!({})),
            [401, 403, 403, 0, 0],
        ),
        (
            Method::GET,
            p("/api/v1/users"),
            None,
            [401, 403, 403, 403, 200],
        ),
        (
            Method::POST,
            p("/api/v1/users"),
            Some(
                json!({"email": "new@x.test", "name": "N", "role": "maintainer", "password": "long-enough-password"}),
            ),
            [401, 403, 403, 403, 201],
        ),
        (
            Method::GET,
            p("/api/v1/tokens"),
            None,
            [401, 200, 200, 200, 200],
        ),
    ];
    for (method, path, body, want) in &table {
        for ((name, token), want) in who.iter().zip(want) {
            if *want == 0 {
                continue; // exercised below, where the order matters
            }
            let (st, v) = s.call(*token, method.clone(), path, body.clone()).await;
            assert_eq!(st.as_u16(), *want, "{name} {method} {path}: {v}");
            if st.is_client_error() {
                assert!(
                    v["error"]["code"].is_string() && v["error"]["message"].is_string(),
                    "error shape: {v}"
                );
            }
        }
    }

    // A maintainer sees only their own submissions.
    let (_, mine) = s
        .call(Some(&m2), Method::GET, "/api/v1/submissions", None)
        .await;
    assert!(
        mine["submissions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["id"] != id),
        "{mine}"
    );
    let (_, all) = s
        .call(Some(&rev), Method::GET, "/api/v1/submissions", None)
        .await;
    assert!(
        all["submissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id)
    );

    // The reviewer approves; approving again conflicts.
    let (st, v) = s
        .call(
            Some(&rev),
            Method::POST,
            &p("/api/v1/submissions/{id}/approve"),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["status"], "queued");
    let (st, v) = s
        .call(
            Some(&admin),
            Method::POST,
            &p("/api/v1/submissions/{id}/reject"),
            Some(json!({"reason": "late"})),
        )
        .await;
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "conflict");

    // Tokens: revoking another user's token is not found; its owner or an admin can.
    let (_, tokens) = s.call(Some(&m1), Method::GET, "/api/v1/tokens", None).await;
    let tid = tokens["tokens"][0]["id"].as_i64().unwrap();
    let (st, _) = s
        .call(
            Some(&m2),
            Method::DELETE,
            &format!("/api/v1/tokens/{tid}"),
            None,
        )
        .await;
    assert_eq!(st, 404);
    let (st, _) = s
        .call(
            Some(&admin),
            Method::DELETE,
            &format!("/api/v1/tokens/{tid}"),
            None,
        )
        .await;
    assert_eq!(st, 204);
    let (st, v) = s.call(Some(&m1), Method::GET, "/api/v1/me", None).await;
    assert_eq!(
        (st.as_u16(), v["error"]["code"].as_str()),
        (401, Some("invalid_token"))
    );
}

#[tokio::test]
async fn tokens_are_scoped_and_hashed_at_rest() {
    let s = start().await;
    s.user("m@x.test", Role::Maintainer).await;
    // Log in with a password for a read-only token.
    let (st, v) = s
        .call(None, Method::POST, "/api/v1/tokens", Some(json!({"name": "ci", "email": "m@x.test", "password": "a-long-password", "scopes": ["read"]})))
        .await;
    assert_eq!(st, 201, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("flareo_"));
    let (st, v) = s.submit(Some(&token), "beta", GOOD, false).await;
    assert_eq!(st, 403, "read-only token cannot submit: {v}");
    // A maintainer cannot mint a review token; a wrong password gets nothing.
    let (st, _) = s
        .call(None, Method::POST, "/api/v1/tokens", Some(json!({"name": "x", "email": "m@x.test", "password": "a-long-password", "scopes": ["review"]})))
        .await;
    assert_eq!(st, 409);
    let (st, v) = s
        .call(
            None,
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"name": "x", "email": "m@x.test", "password": "wrong"})),
        )
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["code"].as_str()),
        (401, Some("bad_credentials"))
    );
    // Only the hash is stored.
    let url = s.db.backend();
    assert_eq!(url, flareo_server::Backend::Sqlite);
    let dump = std::fs::read(s.dir.path().join("flareo.db")).unwrap();
    let wal = std::fs::read(s.dir.path().join("flareo.db-wal")).unwrap_or_default();
    for bytes in [dump, wal] {
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "token secret stored in clear"
        );
    }
}

#[tokio::test]
async fn submissions_are_linted_conflicts_named_and_network_needs_explicit_approval() {
    let s = start().await;
    let m = s.user("m@x.test", Role::Maintainer).await;
    let rev = s.user("r@x.test", Role::Reviewer).await;

    let (st, v) = s
        .submit(
            Some(&m),
            "bad",
            "FROM some-obscure-registry.io/mystery-image:latest\nRUN apk add curl\n",
            false,
        )
        .await;
    assert_eq!(st, 422, "{v}");
    assert_eq!(v["error"]["code"], "lint_failed");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("base image not in approved list"),
        "{v}"
    );
    assert!(v["error"]["detail"]["findings"].as_array().unwrap().len() >= 2);

    let (st, v) = s.submit(Some(&m), "net", GOOD, true).await;
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (st, v) = s.submit(Some(&m), "net", GOOD, false).await;
    assert_eq!(st, 409);
    assert_eq!(
        v["error"]["message"],
        "submission already pending for slug net"
    );

    let approve = format!("/api/v1/submissions/{id}/approve");
    let (st, v) = s
        .call(Some(&rev), Method::POST, &approve, Some(json!({})))
        .await;
    assert_eq!(st, 409, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("requiresNetwork"),
        "{v}"
    );
    let (st, v) = s
        .call(
            Some(&rev),
            Method::POST,
            &approve,
            Some(json!({"approve_network": true})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert!(v["network_approved_by"].is_i64(), "{v}");
    let (_, d) = s
        .call(
            Some(&rev),
            Method::GET,
            &format!("/api/v1/submissions/{id}"),
            None,
        )
        .await;
    let approved = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["status"] == "approved")
        .unwrap();
    assert!(
        approved["detail"]
            .as_str()
            .unwrap()
            .contains("network access approved"),
        "{d}"
    );

    // A resubmission is a new row; the reviewer sees the diff against the approved one.
    let changed = GOOD.replace("sleep\", \"1\"", "sleep\", \"2\"");
    let (st, v) = s.submit(Some(&m), "net", &changed, false).await;
    assert_eq!(st, 201, "{v}");
    let id2 = v["id"].as_i64().unwrap();
    assert_ne!(id, id2);
    let (_, r) = s
        .call(
            Some(&rev),
            Method::GET,
            &format!("/api/v1/review/{id2}"),
            None,
        )
        .await;
    assert_eq!(r["diff"]["against"], id);
    assert!(
        r["diff"]["dockerfile"]
            .as_str()
            .unwrap()
            .contains("+ENTRYPOINT [\"busybox\", \"sleep\", \"2\"]"),
        "{r}"
    );
    assert_eq!(r["annotated"][0]["text"], "FROM busybox:1.35");
    let (_, q) = s
        .call(Some(&rev), Method::GET, "/api/v1/review", None)
        .await;
    assert_eq!(q["pending"].as_array().unwrap().len(), 1);

    // Unknown fields and bad bodies are refused with the JSON error shape.
    let (st, v) = s
        .call(
            Some(&rev),
            Method::POST,
            &format!("/api/v1/submissions/{id2}/reject"),
            Some(json!({"reason": ""})),
        )
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
}

#[tokio::test]
async fn web_sessions_need_csrf_for_changes() {
    let s = start().await;
    let m = s.user("m@x.test", Role::Maintainer).await;
    s.user("r@x.test", Role::Reviewer).await;
    let (_, v) = s.submit(Some(&m), "gamma", GOOD, false).await;
    let id = v["id"].as_i64().unwrap();

    let r = s
        .http
        .post(format!("{}/login", s.url))
        .form(&[("email", "r@x.test"), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = s
        .http
        .post(format!("{}/login", s.url))
        .form(&[("email", "r@x.test"), ("password", "a-long-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap().to_string();
    let page = s
        .http
        .get(format!("{}/review/{id}", s.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("FROM busybox:1.35"), "{page}");
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert!(csrf.len() >= 32);

    let reject = format!("{}/api/v1/submissions/{id}/reject", s.url);
    let r = s
        .http
        .post(&reject)
        .header("cookie", &cookie)
        .json(&json!({"reason": "no"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "csrf_failed");
    let r = s
        .http
        .post(&reject)
        .header("cookie", &cookie)
        .header("x-csrf-token", "nope")
        .json(&json!({"reason": "no"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The web form with the right token works.
    let r = s
        .http
        .post(format!("{}/review/{id}", s.url))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "reject"),
            ("reason", "use a pinned base"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        s.db.submission(id).await.unwrap().status,
        flareo_server::Status::Rejected
    );
}

#[tokio::test]
async fn openapi_documents_every_route() {
    let s = start().await;
    let (st, doc) = s
        .call(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(st, 200);
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/modules",
        "/api/v1/modules/{slug}",
        "/api/v1/modules/{slug}/sbom",
        "/api/v1/modules/{slug}/vulnerabilities",
        "/api/v1/modules/{slug}/vex",
        "/api/v1/submissions",
        "/api/v1/submissions/{id}",
        "/api/v1/submissions/{id}/log",
        "/api/v1/submissions/{id}/approve",
        "/api/v1/submissions/{id}/reject",
        "/api/v1/review",
        "/api/v1/review/{id}",
        "/api/v1/users",
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/healthz",
        "/metrics",
        "/api/v1/openapi.json",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
}

/// Logs in through the web form; returns the session cookie.
async fn web_login(s: &Server, email: &str) -> String {
    let r = s
        .http
        .post(format!("{}/login", s.url))
        .form(&[("email", email), ("password", "a-long-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn web_publish_form_lints_and_needs_csrf() {
    let s = start().await;
    s.user("m@x.test", Role::Maintainer).await;
    let anonymous = s
        .http
        .get(format!("{}/app/publish", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        anonymous.status(),
        303,
        "anonymous users are sent to /login"
    );
    let cookie = web_login(&s, "m@x.test").await;
    let page = s
        .http
        .get(format!("{}/app/publish", s.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let form = |csrf: &str, dockerfile: &str| {
        let (_, bytes) = context("delta", dockerfile);
        reqwest::multipart::Form::new()
            .text("csrf", csrf.to_string())
            .text("tag", "v2")
            .part(
                "context",
                reqwest::multipart::Part::bytes(bytes).file_name("c.tar.gz"),
            )
    };
    let post = |f| {
        s.http
            .post(format!("{}/app/publish", s.url))
            .header("cookie", &cookie)
            .multipart(f)
            .send()
    };
    let r = post(form("wrong", GOOD)).await.unwrap();
    assert_eq!(r.status(), 403);
    let r = post(form(&csrf, "FROM mystery.io/x:1\nENTRYPOINT [\"x\"]\n"))
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("base image not in approved list")
    );
    let r = post(form(&csrf, GOOD)).await.unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/submissions/"), "{to}");
    let id: i64 = to.trim_start_matches("/submissions/").parse().unwrap();
    let sub = s.db.submission(id).await.unwrap();
    assert_eq!((sub.slug.as_str(), sub.tag.as_str()), ("delta", "v2"));
    let catalog = s
        .http
        .get(format!("{}/app/modules", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(catalog.status(), 200);
}

#[tokio::test]
async fn catalog_lists_searches_filters_and_shows_metadata() {
    let s = start().await;
    support::seed_module(
        &s.db,
        "notes",
        "Notes",
        "productivity",
        &format!("sha256:{}", "ab".repeat(32)),
    )
    .await;
    support::seed_module(
        &s.db,
        "photos",
        "Photo Library",
        "media",
        &format!("sha256:{}", "ab".repeat(32)),
    )
    .await;
    support::seed_module(
        &s.db,
        "tasks",
        "Task Board",
        "productivity",
        &format!("sha256:{}", "ab".repeat(32)),
    )
    .await;
    let slugs = |v: &Value| -> Vec<String> {
        v["modules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["slug"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, all) = s.call(None, Method::GET, "/api/v1/modules", None).await;
    assert_eq!(slugs(&all), ["notes", "photos", "tasks"]);
    let (_, v) = s
        .call(
            None,
            Method::GET,
            "/api/v1/modules?category=productivity",
            None,
        )
        .await;
    assert_eq!(slugs(&v), ["notes", "tasks"]);
    let (_, v) = s
        .call(None, Method::GET, "/api/v1/modules?q=LIBRARY", None)
        .await;
    assert_eq!(slugs(&v), ["photos"], "case-insensitive name search");
    let (_, v) = s
        .call(
            None,
            Method::GET,
            "/api/v1/modules?q=ta&category=media",
            None,
        )
        .await;
    assert!(slugs(&v).is_empty());
    let (_, v) = s
        .call(None, Method::GET, "/api/v1/modules?q=%25", None)
        .await;
    assert!(
        slugs(&v).is_empty(),
        "LIKE wildcards in the query are literal text: {v}"
    );
    let (_, v) = s
        .call(None, Method::GET, "/api/v1/modules?q=board", None)
        .await;
    assert_eq!(slugs(&v), ["tasks"]);
    // Pages by slug: `next` leads on until the last page, which has none.
    assert!(all.get("next").is_none(), "{all}");
    let (_, first) = s
        .call(None, Method::GET, "/api/v1/modules?limit=2", None)
        .await;
    assert_eq!(
        (slugs(&first), &first["next"]),
        (vec!["notes".to_string(), "photos".into()], &json!("photos"))
    );
    let (_, last) = s
        .call(
            None,
            Method::GET,
            "/api/v1/modules?limit=2&after=photos",
            None,
        )
        .await;
    assert_eq!(slugs(&last), ["tasks"]);
    assert!(last.get("next").is_none(), "{last}");
    let (_, v) = s
        .call(
            None,
            Method::GET,
            "/api/v1/modules?category=productivity&limit=1&after=notes",
            None,
        )
        .await;
    assert_eq!(slugs(&v), ["tasks"], "pages keep the filters");
    for bad in ["0", "501"] {
        let (st, v) = s
            .call(
                None,
                Method::GET,
                &format!("/api/v1/modules?limit={bad}"),
                None,
            )
            .await;
        assert_eq!(st.as_u16(), 400, "{v}");
        assert_eq!(
            v["error"]["message"],
            format!("limit must be between 1 and 500, not {bad}")
        );
    }
    let (st, v) = s
        .call(None, Method::GET, "/api/v1/modules?category=toys", None)
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );

    let (st, m) = s
        .call(None, Method::GET, "/api/v1/modules/photos", None)
        .await;
    assert_eq!(st, 200);
    assert_eq!(m["name"], "Photo Library");
    assert_eq!(m["author"], "Seed Project");
    assert_eq!(m["license"], "Apache-2.0");
    assert_eq!(m["category"], "media");
    assert_eq!(m["tag"], "v1.2.3");
    assert_eq!(m["digest"], format!("sha256:{}", "ab".repeat(32)));
    assert!(
        m["pull_url"]
            .as_str()
            .unwrap()
            .starts_with("registry.test/photos@sha256:")
    );
    assert_eq!(m["runtime"]["ports"], json!([3000]));
    assert_eq!(m["runtime"]["volumes"], json!(["/data"]));
    assert_eq!(m["runtime"]["default_env"], json!({"TZ": "UTC"}));
    assert_eq!(
        m["runtime"]["healthcheck"],
        "wget -q --spider http://localhost:3000/health"
    );
    assert_eq!(m["builds"][0]["status"], "published");
    assert_eq!(m["builds"][0]["duration_ms"], 1500);
    // The publication's mail was queued with it.
    let outbox = s.db.outbox().await.unwrap();
    assert_eq!(
        outbox.iter().filter(|o| o.subject == "published").count(),
        3
    );
}

#[tokio::test]
async fn healthz_reports_a_missing_blob_store() {
    let s = start().await;
    let (st, v) = s.call(None, Method::GET, "/healthz", None).await;
    assert_eq!((st.as_u16(), v["status"].as_str()), (200, Some("ok")));
    std::fs::remove_dir_all(s.dir.path().join("blobs")).unwrap();
    let (st, v) = s.call(None, Method::GET, "/healthz", None).await;
    assert_eq!(st, 503, "{v}");
    assert_eq!(v["blob_store"], "unavailable");
    assert_eq!(v["database"], "ok");
}

#[tokio::test]
async fn reviewers_write_vex_and_the_document_validates() {
    let s = start().await;
    support::seed_module(
        &s.db,
        "notes",
        "Notes",
        "productivity",
        &format!("sha256:{}", "cd".repeat(32)),
    )
    .await;
    let m = s.user("m@x.test", Role::Maintainer).await;
    let rev = s.user("rev@x.test", Role::Reviewer).await;
    let statement = json!({
        "vulnerability": "CVE-2099-0001",
        "status": "not_affected",
        "justification": "vulnerable_code_not_in_execute_path",
        "subcomponent": "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1"
    });
    let (st, v) = s
        .call(
            Some(&m),
            Method::POST,
            "/api/v1/modules/notes/vex",
            Some(statement.clone()),
        )
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "a maintainer cannot write VEX"
    );
    let (st, v) = s
        .call(
            None,
            Method::POST,
            "/api/v1/modules/notes/vex",
            Some(statement.clone()),
        )
        .await;
    assert_eq!(st, 401, "{v}");
    let (st, v) = s
        .call(
            Some(&rev),
            Method::POST,
            "/api/v1/modules/notes/vex",
            Some(json!({"vulnerability": "CVE-1", "status": "not_affected"})),
        )
        .await;
    assert_eq!(
        (st.as_u16(), v["error"]["code"].as_str()),
        (422, Some("invalid_vex")),
        "{v}"
    );
    let (st, v) = s
        .call(
            Some(&rev),
            Method::POST,
            "/api/v1/modules/notes/vex",
            Some(statement),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let (st, v) = s
        .call(
            Some(&rev),
            Method::POST,
            "/api/v1/modules/notes/vex",
            Some(json!({"vulnerability": "CVE-2099-0001", "status": "under_investigation"})),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let (st, doc) = s
        .call(None, Method::GET, "/api/v1/modules/notes/vex", None)
        .await;
    assert_eq!(st, 200);
    let statements = doc["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 2, "appended, never overwritten: {doc}");
    assert_eq!(doc["version"], 2);
    assert_eq!(statements[0]["products"][0]["@id"], "pkg:oci/notes");
    assert_eq!(statements[0]["status"], "not_affected");
    let file = s.dir.path().join("vex.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    if let Err(out) = flareo_testkit::validate("validate-openvex", &file, &["--strict-context"]) {
        panic!("validate-openvex rejected the served document:\n{out}\n{doc:#}");
    }
}
