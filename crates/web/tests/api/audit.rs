//! The audit trail records sign-ins, sign-outs and failed code attempts
//! with the actor, time, IP address and user agent.

use bucketdesk_db::audit;
use bucketdesk_testkit::TestApp;

#[tokio::test]
async fn sign_in_failures_and_sign_outs_are_recorded_with_ip_and_user_agent() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    browser.request_code("alice@example.com").await;
    browser.post("/login/code", &[("code", "000000")]).await;
    browser.post("/login/code", &[("code", "111111")]).await;
    drop(browser);
    let browser = app.sign_in_as("alice@example.com").await;
    browser.post("/logout", &[]).await;
    let browser = app.sign_in_as("alice@example.com").await;
    browser.post("/logout/everywhere", &[]).await;

    let failed = audit::with_action(&app.db, "sign_in_failed").await.unwrap();
    assert_eq!(failed.len(), 2, "each wrong code is recorded");
    for event in &failed {
        assert_eq!(event.actor_email.as_deref(), Some("alice@example.com"));
        assert_eq!(event.ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(event.user_agent.as_deref(), Some("bucketdesk-tests"));
    }
    let user = app.create_user("alice@example.com").await;
    for action in ["sign_in", "sign_out", "sign_out_everywhere"] {
        let events = audit::with_action(&app.db, action).await.unwrap();
        assert!(!events.is_empty(), "{action} is recorded");
        let event = &events[0];
        assert_eq!(event.actor_id, Some(user.id), "{action}");
        assert_eq!(event.ip.as_deref(), Some("127.0.0.1"), "{action}");
        assert_eq!(
            event.user_agent.as_deref(),
            Some("bucketdesk-tests"),
            "{action}"
        );
    }
}

#[tokio::test]
async fn the_home_page_shows_my_recent_activity() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in_as("alice@example.com").await;
    let home = browser.get("/").await;
    assert!(home.body.contains("Signed in"), "{}", home.body);
    assert!(home.body.contains("bucketdesk-tests"));
}

#[tokio::test]
async fn a_forwarded_client_address_is_believed_only_from_a_trusted_proxy() {
    // the test app trusts 127.0.0.1, so X-Forwarded-For from the test client counts
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    browser.request_code("alice@example.com").await;
    browser
        .post_raw(
            "/login/code",
            &[
                ("csrf_token", &browser.csrf_token().await),
                ("code", "000000"),
            ],
            &[("x-forwarded-for", "6.6.6.6, 198.51.100.7")],
        )
        .await;
    let event = &audit::with_action(&app.db, "sign_in_failed").await.unwrap()[0];
    assert_eq!(event.ip.as_deref(), Some("198.51.100.7"));
}

#[tokio::test]
async fn a_forged_forwarded_header_line_before_the_proxys_own_is_ignored() {
    // e.g. HAProxy adds its own X-Forwarded-For line instead of appending
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    browser.request_code("alice@example.com").await;
    let token = browser.csrf_token().await;
    let response = browser
        .client
        .post(browser.url("/login/code"))
        .form(&[("csrf_token", token.as_str()), ("code", "000000")])
        .header("x-forwarded-for", "6.6.6.6")
        .header("x-forwarded-for", "198.51.100.7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let event = &audit::with_action(&app.db, "sign_in_failed").await.unwrap()[0];
    assert_eq!(event.ip.as_deref(), Some("198.51.100.7"));
}

mod log_page {
    //! The workspace audit log page and its CSV export.

    use crate::team::{grant, invite, team};
    use bucketdesk_testkit::TestApp;

    #[tokio::test]
    async fn owners_see_every_event_newest_first_and_filter_them() {
        let app = TestApp::spawn().await;
        let t = team(&app).await;
        invite(&t, "bob@example.com", &[(&t.photos, "viewer")]).await;
        let page = t.alice.get(&format!("/w/{}/audit", t.workspace)).await;
        assert_eq!(page.status, 200);
        for what in [
            "Created a workspace",
            "Connected a bucket",
            "Sent an invitation",
        ] {
            assert!(page.body.contains(what), "{what}: {}", page.body);
        }
        let sent = page.body.find("Sent an invitation").unwrap();
        let created = page.body.find("Created a workspace").unwrap();
        assert!(sent < created, "newest first");

        let filtered = t
            .alice
            .get(&format!("/w/{}/audit?action=bucket_connected", t.workspace))
            .await;
        assert_eq!(filtered.body.matches(">Connected a bucket</td>").count(), 2);
        assert!(!filtered.body.contains("<td>Sent an invitation</td>"));
        let by_person = t
            .alice
            .get(&format!("/w/{}/audit?person=nobody", t.workspace))
            .await;
        assert!(by_person.body.contains("No events match"));
        let bad_date = t
            .alice
            .get(&format!("/w/{}/audit?from=yesterday", t.workspace))
            .await;
        assert_eq!(bad_date.status, 400);
        assert!(bad_date.body.contains("should look like 2026-11-22"));
    }

    #[tokio::test]
    async fn the_log_filters_by_folder_on_whole_path_segments_on_the_page_and_in_the_api() {
        let app = TestApp::spawn().await;
        let t = team(&app).await;
        let bucket = t.bucket_path(&t.photos);
        for key in ["clients/acme/a.txt", "clients/acme-evil/b.txt"] {
            let token = t.alice.csrf_token().await;
            let sent = t
                .alice
                .client
                .post(
                    t.alice
                        .url(&format!("{bucket}/upload?key={}", key.replace('/', "%2F"))),
                )
                .header("x-csrf-token", token)
                .body("x")
                .send()
                .await
                .unwrap();
            assert!(sent.status().is_success(), "{key}: {}", sent.status());
            let download = t
                .alice
                .get(&format!(
                    "{bucket}/download?key={}",
                    key.replace('/', "%2F")
                ))
                .await;
            assert_eq!(download.status, 303);
        }
        let page = t
            .alice
            .get(&format!("/w/{}/audit?folder=clients%2Facme", t.workspace))
            .await;
        assert_eq!(page.status, 200);
        assert_eq!(
            page.body.matches("clients/acme/a.txt").count(),
            2,
            "{}",
            page.body
        );
        assert!(
            !page.body.contains("acme-evil"),
            "a sibling folder is not inside"
        );
        assert!(!page.body.contains(">Created a workspace</td>"));
        assert!(
            page.body
                .contains(r#"name="folder" type="text" value="clients/acme""#)
        );

        let token = t.alice.make_access_token("audit", &["admin"]).await;
        let api = |query: &str| {
            reqwest::Client::new()
                .get(format!(
                    "{}/api/v1/workspaces/{}/audit?{query}",
                    app.url, t.workspace
                ))
                .bearer_auth(&token)
                .send()
        };
        let listed: serde_json::Value = api("folder=clients/acme/")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let keys: Vec<&str> = listed["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["details"]["key"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(
            keys,
            ["clients/acme/a.txt", "clients/acme/a.txt"],
            "{listed}"
        );
        let wrong = api("folder=clients/../x").await.unwrap();
        assert_eq!(wrong.status(), 422);
        let body: serde_json::Value = wrong.json().await.unwrap();
        assert_eq!(body["error"]["fields"][0]["field"], "folder", "{body}");
        let page = t
            .alice
            .get(&format!("/w/{}/audit?folder=clients%2F..%2Fx", t.workspace))
            .await;
        assert_eq!(page.status, 400);
        assert!(page.body.contains("The folder filter"), "{}", page.body);
    }

    #[tokio::test]
    async fn filters_out_of_range_or_with_control_characters_get_a_400_that_names_the_field() {
        let app = TestApp::spawn().await;
        let t = team(&app).await;
        let cases = [
            ("until=9999-12-31", 200, ""),
            ("from=0001-01-01&until=9999-12-31", 200, ""),
            ("until=10000-01-01", 400, "The until date"),
            ("from=0000-12-31", 400, "The from date must be between"),
            ("from=-0001-01-01", 400, "The from date"),
            ("until=2026-02-30", 400, "The until date should look like"),
            (
                "person=a%00b",
                400,
                "The person filter cannot contain control characters",
            ),
            ("person=a%0D%0Ab", 400, "The person filter"),
            ("person=%E2%80%AEtxt.exe", 400, "The person filter"),
            ("action=sign%00in", 400, "The action filter"),
            ("action=drop_table", 400, "The action filter"),
            ("bucket=nope", 400, "Choose a bucket"),
        ];
        for (query, status, message) in cases {
            for path in ["audit", "audit.csv"] {
                let page = t
                    .alice
                    .get(&format!("/w/{}/{path}?{query}", t.workspace))
                    .await;
                assert_eq!(page.status, status, "{path}?{query}: {}", page.body);
                assert!(page.body.contains(message), "{path}?{query}: {}", page.body);
            }
        }
        // the page keeps the filter form, with the problem shown in place
        let page = t
            .alice
            .get(&format!("/w/{}/audit?until=10000-01-01", t.workspace))
            .await;
        assert!(page.body.contains(r#"role="alert""#) && page.body.contains("name=\"until\""));
        let everything = t
            .alice
            .get(&format!("/w/{}/audit?until=9999-12-31", t.workspace))
            .await;
        assert!(
            everything.body.contains("Created a workspace"),
            "the last day counts whole"
        );
    }

    #[tokio::test]
    async fn the_csv_export_has_every_matching_event_and_no_formulas() {
        let app = TestApp::spawn().await;
        let t = team(&app).await;
        t.alice.get(&format!("/w/{}", t.workspace)).await;
        t.alice
            .post(
                &format!("/w/{}/rename", t.workspace),
                &[("name", "=HYPERLINK(\"http://evil\")")],
            )
            .await;
        let csv = t.alice.get(&format!("/w/{}/audit.csv", t.workspace)).await;
        assert_eq!(csv.status, 200);
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        assert!(
            csv.header("content-disposition")
                .unwrap()
                .starts_with("attachment")
        );
        let mut lines = csv.body.lines();
        assert_eq!(
            lines.next(),
            Some("time_utc,person,action,bucket,about,ip,user_agent,details")
        );
        assert_eq!(
            lines.count(),
            4,
            "workspace created, two buckets connected, renamed"
        );
        assert!(csv.body.contains("HYPERLINK"), "{}", csv.body);
        for line in csv.body.lines() {
            for cell in line.split("\",\"") {
                assert!(
                    !cell
                        .trim_start_matches('"')
                        .starts_with(['=', '+', '-', '@']),
                    "a formula cell: {cell}"
                );
            }
        }
    }

    #[tokio::test]
    async fn an_admin_sees_their_buckets_and_a_viewer_sees_nothing() {
        let app = TestApp::spawn().await;
        let t = team(&app).await;
        grant(&app, &t, "adam@example.com", &t.photos, "admin").await;
        grant(&app, &t, "victor@example.com", &t.photos, "viewer").await;
        std::fs::write(app.s3.root.join("reports/secret-report.txt"), b"x").unwrap();
        t.alice
            .get(&format!(
                "{}/download?key=secret-report.txt",
                t.bucket_path(&t.reports)
            ))
            .await;
        std::fs::write(app.s3.root.join("photos/photo.txt"), b"x").unwrap();
        t.alice
            .get(&format!(
                "{}/download?key=photo.txt",
                t.bucket_path(&t.photos)
            ))
            .await;

        let adam = app.sign_in_as("adam@example.com").await;
        let page = adam.get(&format!("/w/{}/audit", t.workspace)).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("photo.txt"));
        assert!(!page.body.contains("secret-report.txt"), "not his bucket");
        assert!(
            page.body.contains("Created a workspace"),
            "workspace events are his to see"
        );
        let victor = app.sign_in_as("victor@example.com").await;
        assert_eq!(
            victor
                .get(&format!("/w/{}/audit", t.workspace))
                .await
                .status,
            403
        );
        assert_eq!(
            victor
                .get(&format!("/w/{}/audit.csv", t.workspace))
                .await
                .status,
            403
        );
    }
}

#[tokio::test]
async fn an_event_that_cannot_be_written_does_not_fail_the_others_in_its_batch() {
    // the audit writer takes everything queued at once into one INSERT;
    // these twenty are queued together, and one names a bucket that does
    // not exist (as one disconnected a moment ago would)
    let app = TestApp::spawn().await;
    let writes = (0..20).map(|i| {
        let state = &app.state;
        async move {
            let bucket = (i == 7).then(|| bucketdesk_domain::BucketId(uuid::Uuid::new_v4()));
            let event = audit::NewEvent {
                action: "batch_test",
                bucket_id: bucket,
                details: serde_json::json!({ "i": i }),
                ..Default::default()
            };
            state.audit.record(event).await
        }
    });
    let results = futures::future::join_all(writes).await;
    for (i, result) in results.iter().enumerate() {
        assert_eq!(result.is_err(), i == 7, "event {i}: {result:?}");
    }
    let written: Vec<i64> = sqlx::query_scalar(
        "select (details->>'i')::bigint from audit_events where action = 'batch_test' order by id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let expected: Vec<i64> = (0..20).filter(|i| *i != 7).collect();
    assert_eq!(written, expected, "the others, in the order they came");
}

#[tokio::test]
async fn role_changes_and_removals_name_the_person_on_the_audit_page_and_in_recent_activity() {
    use crate::team::{grant, team};
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    grant(&app, &t, "bob@example.com", &t.photos, "viewer").await;
    let bob: uuid::Uuid =
        sqlx::query_scalar("select id from users where email = 'bob@example.com'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let members = format!("/w/{}/members", t.workspace);
    t.alice.get(&members).await;
    let changed = t
        .alice
        .post(
            &format!("{members}/{bob}/buckets/{}", t.photos),
            &[("role", "editor")],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    let removed = t.alice.post(&format!("{members}/{bob}/remove"), &[]).await;
    assert_eq!(removed.status, 303, "{}", removed.body);

    let log = t.alice.get(&format!("/w/{}/audit", t.workspace)).await;
    assert!(
        log.body.contains("bob@example.com: Viewer → Editor"),
        "B11: the role change names Bob: {}",
        log.body
    );
    let home = t.alice.get("/").await;
    assert!(
        home.body
            .contains("Changed a role: bob@example.com: Viewer → Editor"),
        "B11: recent activity says what was changed: {}",
        home.body
    );
    assert!(
        home.body.contains("Removed someone: bob@example.com"),
        "{}",
        home.body
    );
}

#[tokio::test]
async fn at_a_million_events_the_home_and_audit_pages_queries_walk_indexes() {
    let app = TestApp::spawn().await;
    let t = crate::team::team(&app).await;
    let alice = crate::team::user_id(&app, "alice@example.com").await;
    let alice = uuid::Uuid::parse_str(&alice).unwrap();
    let workspace = uuid::Uuid::parse_str(&t.workspace).unwrap();
    // a million events: a tenth in this workspace, a few of them Alice's,
    // the rest spread over a thousand other people and no workspace
    sqlx::query(
        "insert into audit_events (occurred_at, actor_id, actor_email, action, ip, workspace_id, details)
         select now() - make_interval(secs => n), case when n % 5000 = 0 then $1 end,
                case when n % 5000 = 0 then 'alice@example.com' else 'person' || (n % 1000) || '@example.com' end,
                (array['file_uploaded', 'download_link_issued', 'signed_in', 'object_deleted', 'share_link_created'])[1 + (n / 10) % 5],
                '10.0.0.1', case when n % 10 = 0 then $2 end, '{}'::jsonb
         from generate_series(1, 1000000) n",
    )
    .bind(alice)
    .bind(workspace)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query("analyze audit_events")
        .execute(&app.db)
        .await
        .unwrap();
    let walks_indexes = |what: &str, plan: &str| {
        assert!(
            !plan.contains("Seq Scan on audit_events"),
            "{what} reads the whole table:\n{plan}"
        );
        assert!(plan.contains("Index"), "{what} uses no index:\n{plan}");
    };
    let id = bucketdesk_domain::UserId(alice);
    let plan = audit::plans::recent_for_person(&app.db, id, "alice@example.com")
        .await
        .unwrap();
    walks_indexes("the home page's recent activity", &plan);
    // the person's own events, not a walk of everyone's newest first
    assert!(
        plan.contains("audit_events_actor_idx")
            && plan.contains("audit_events_actor_email_idx")
            && !plan.contains("audit_events_occurred_idx"),
        "{plan}"
    );
    let plan = audit::plans::actions_in_workspace(&app.db, workspace)
        .await
        .unwrap();
    walks_indexes("the audit page's list of actions", &plan);
    // one probe per action, not every event of the workspace
    assert!(
        plan.contains("Recursive Union") && plan.contains("audit_events_workspace_action_id_idx"),
        "{plan}"
    );
    let newest = audit::Filter {
        workspace: Some(workspace),
        ..audit::Filter::default()
    };
    let plan = audit::plans::list(&app.db, &newest, 51).await.unwrap();
    walks_indexes("the audit page", &plan);
    assert!(
        plan.contains("audit_events_workspace_id_idx"),
        "the audit page walks the workspace's events by id:\n{plan}"
    );
    let next_page = audit::Filter {
        before_id: Some(500_000),
        ..newest.clone()
    };
    let plan = audit::plans::list(&app.db, &next_page, 51).await.unwrap();
    walks_indexes("a later page of the audit log", &plan);
    let by_action = audit::Filter {
        action: Some("object_deleted".into()),
        ..newest
    };
    let plan = audit::plans::list(&app.db, &by_action, 51).await.unwrap();
    walks_indexes("the audit page filtered by action", &plan);
    assert!(
        plan.contains("audit_events_workspace_action_id_idx"),
        "{plan}"
    );
    // a person (rare in the workspace, or not at all), and a bucket: each an
    // index of its own, not a walk of the workspace's events that skips the rest
    for (person, own_index) in [
        ("alice@example.com", true),
        ("Person7@Example.com", true),
        ("nobody@example.com", true),
        // the start of many addresses: the planner may as well walk the workspace
        ("person7", false),
    ] {
        let by_person = audit::Filter {
            person: Some(person.into()),
            action: None,
            ..by_action.clone()
        };
        let plan = audit::plans::list(&app.db, &by_person, 51).await.unwrap();
        walks_indexes("the audit page filtered by person", &plan);
        assert!(
            !own_index || plan.contains("audit_events_workspace_person_idx"),
            "{person}: {plan}"
        );
    }
    let by_bucket = audit::Filter {
        bucket: Some(uuid::Uuid::parse_str(&t.photos).unwrap()),
        action: None,
        ..by_action.clone()
    };
    let plan = audit::plans::list(&app.db, &by_bucket, 51).await.unwrap();
    walks_indexes("the audit page filtered by bucket", &plan);
    assert!(plan.contains("audit_events_bucket_idx"), "{plan}");
    // and the answers are still right
    let mine = audit::recent_for_person(&app.db, id, "alice@example.com", 10)
        .await
        .unwrap();
    assert_eq!(mine.len(), 10);
    assert!(
        mine.windows(2)
            .all(|w| w[0].occurred_at >= w[1].occurred_at)
    );
    let actions = audit::actions_in_workspace(&app.db, workspace)
        .await
        .unwrap();
    assert!(
        actions.contains(&"object_deleted".to_owned()),
        "{actions:?}"
    );
    assert!(actions.windows(2).all(|w| w[0] < w[1]), "{actions:?}");
}

#[tokio::test]
async fn the_clean_up_keeps_audit_events_for_their_retention_and_forgets_old_password_failures() {
    let app = TestApp::builder()
        .configure(|settings| {
            settings.audit_retention = Some(std::time::Duration::from_secs(30 * 24 * 60 * 60))
        })
        .spawn()
        .await;
    let t = crate::team::team(&app).await;
    sqlx::query(
        "insert into audit_events (occurred_at, actor_email, action, workspace_id, details)
         select now() - make_interval(days => d), 'old@example.com', 'signed_in', $1::uuid, '{}'::jsonb
         from unnest(array[29, 31, 400]) d",
    )
    .bind(&t.workspace)
    .execute(&app.db)
    .await
    .unwrap();
    // a link with wrong passwords typed two hours and a minute ago
    let link = t
        .alice
        .post(
            &format!("{}/links", t.bucket_path(&t.photos)),
            &[("keys", "a.txt"), ("password", "secret-words")],
        )
        .await;
    assert_eq!(link.status, 303, "{}", link.body);
    sqlx::query(
        "insert into link_password_failures (link_id, client, failed_at)
         select id, '10.0.0.1', now() - make_interval(mins => m) from links, unnest(array[1, 120]) m",
    )
    .execute(&app.db)
    .await
    .unwrap();
    bucketdesk_web::clean_up(&app.state).await.unwrap();
    let old: Vec<i32> = sqlx::query_scalar(
        "select extract(day from now() - occurred_at)::int from audit_events
         where actor_email = 'old@example.com' order by 1",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(old, [29], "events past 30 days are gone, younger ones stay");
    let newer: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where actor_email is distinct from 'old@example.com'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(newer > 0, "today's events stay");
    let failures: Vec<i32> = sqlx::query_scalar(
        "select extract(minute from now() - failed_at)::int from link_password_failures",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        failures,
        [1],
        "only attempts the limits still count are kept"
    );
}
