//! Limits on sign-in codes: S2 (wrong tries, lockout) and S3 (how many codes).

use bucketdesk_testkit::{Browser, TestApp, code_in};
use futures::future::join_all;

async fn wrong_code(browser: &Browser, right: &str) -> bucketdesk_testkit::Page {
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    browser.post("/login/code", &[("code", wrong)]).await
}

#[tokio::test]
async fn a_code_dies_after_five_wrong_tries() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    let code = app.ask_for_code(&browser, "alice@example.com").await;

    for left in (1..=4).rev() {
        let page = wrong_code(&browser, &code).await;
        assert!(
            page.body.contains(&format!("{left} tr")),
            "{left} left: {}",
            page.body
        );
    }
    let page = wrong_code(&browser, &code).await;
    assert!(page.body.contains("tried too often"), "{}", page.body);

    let page = browser.post("/login/code", &[("code", &code)]).await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains("no longer works"),
        "the right code is dead too: {}",
        page.body
    );
}

#[tokio::test]
async fn ten_wrong_codes_from_one_network_in_an_hour_lock_codes_typed_there() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    for round in 1..=2 {
        browser.request_code("alice@example.com").await;
        let code = code_in(&app.mail.wait_for_nth("alice@example.com", round).await.text).unwrap();
        for _ in 0..5 {
            wrong_code(&browser, &code).await;
        }
    }
    // a code still goes out, but only its mail's link takes it now
    let asked = browser.request_code("alice@example.com").await;
    assert_eq!(asked.status, 303);
    let page = browser.get("/login/code").await;
    assert!(
        page.body.contains("codes typed here do not work"),
        "{}",
        page.body
    );
    let mail = app.mail.wait_for_nth("alice@example.com", 3).await;
    let code = code_in(&mail.text).unwrap();
    let typed = browser.post("/login/code", &[("code", &code)]).await;
    assert_eq!(typed.status, 429);
    assert!(typed.body.contains("from your network"), "{}", typed.body);

    let (client, locked_for): (String, f64) = sqlx::query_as(
        "select client_key, extract(epoch from locked_until - now())::float8 from login_lockouts",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(client, "127.0.0.1", "this network only");
    assert!(
        (3500.0..=3600.0).contains(&locked_for),
        "locked for an hour, not {locked_for}s"
    );
}

#[tokio::test]
async fn a_locked_address_cannot_sign_in_even_with_the_right_code() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    let code = app.ask_for_code(&browser, "alice@example.com").await;
    sqlx::query("insert into login_lockouts (email, locked_until) values ('alice@example.com', now() + interval '1 hour')")
        .execute(&app.db)
        .await
        .unwrap();
    let page = browser.post("/login/code", &[("code", &code)]).await;
    assert_eq!(page.status, 429);
    assert_eq!(browser.get("/").await.location(), Some("/login"));
}

#[tokio::test]
async fn at_most_three_codes_per_address_per_fifteen_minutes_known_or_not() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let mut answers = Vec::new();
    for email in ["alice@example.com", "nobody@example.com"] {
        let browser = app.browser();
        for _ in 0..3 {
            assert_eq!(browser.request_code(email).await.status, 303);
        }
        let fourth = browser.request_code(email).await;
        assert_eq!(fourth.status, 429);
        assert!(
            fourth.body.contains("Three codes were sent"),
            "{}",
            fourth.body
        );
        answers.push(
            fourth
                .body
                .replace(email, "EMAIL")
                .lines()
                .filter(|l| !l.contains("csrf"))
                .collect::<String>(),
        );
    }
    assert_eq!(
        answers[0], answers[1],
        "the same answer for known and unknown addresses"
    );
    app.mail.wait_for_nth("alice@example.com", 3).await;
    assert_eq!(app.mail.count_to("alice@example.com"), 3);
}

#[tokio::test]
async fn at_most_twenty_codes_per_client_ip_per_hour() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let token = browser.get("/login").await.csrf_token().unwrap();
    let from = |ip: &'static str| [("x-forwarded-for", ip)];
    for n in 0..20 {
        let email = format!("person{n}@example.com");
        let page = browser
            .post_raw(
                "/login",
                &[("csrf_token", &token), ("email", &email)],
                &from("198.51.100.7"),
            )
            .await;
        assert_eq!(page.status, 303, "code {n}");
    }
    let page = browser
        .post_raw(
            "/login",
            &[("csrf_token", &token), ("email", "one-more@example.com")],
            &from("198.51.100.7"),
        )
        .await;
    assert_eq!(page.status, 429);
    assert!(page.body.contains("from your network"), "{}", page.body);

    let other_ip = browser
        .post_raw(
            "/login",
            &[("csrf_token", &token), ("email", "one-more@example.com")],
            &from("203.0.113.5"),
        )
        .await;
    assert_eq!(other_ip.status, 303, "another client is not affected");
}

#[tokio::test]
async fn parallel_code_requests_cannot_slip_past_the_limit_or_leave_two_live_codes() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browsers: Vec<Browser> = (0..20).map(|_| app.browser()).collect();
    for browser in &browsers {
        browser.get("/login").await;
    }
    let answers = join_all(
        browsers
            .iter()
            .map(|b| b.post("/login", &[("email", "alice@example.com")])),
    )
    .await;
    assert_eq!(
        answers.iter().filter(|p| p.status == 303).count(),
        3,
        "three codes, not more"
    );
    assert_eq!(answers.iter().filter(|p| p.status == 429).count(), 17);

    let (codes, live): (i64, i64) =
        sqlx::query_as("select count(*), count(*) filter (where dead_at is null) from login_codes")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        (codes, live),
        (3, 1),
        "a new code kills the old one, even in parallel"
    );
}

#[tokio::test]
async fn parallel_wrong_guesses_are_counted_one_by_one() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    let code = app.ask_for_code(&browser, "alice@example.com").await;
    let guesses: Vec<String> = (0..15)
        .map(|n| format!("{:06}", (code.parse::<u32>().unwrap() + 1 + n) % 1_000_000))
        .collect();
    let forms: Vec<[(&str, &str); 1]> = guesses.iter().map(|g| [("code", g.as_str())]).collect();
    join_all(forms.iter().map(|form| browser.post("/login/code", form))).await;

    let (attempts, failures): (i32, i64) = sqlx::query_as(
        "select (select attempts from login_codes), (select count(*) from login_failures)",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        (attempts, failures),
        (5, 5),
        "the code died at its fifth wrong try; later guesses met a dead code"
    );
}

#[tokio::test]
async fn ipv6_clients_are_limited_per_slash_64() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let token = browser.get("/login").await.csrf_token().unwrap();
    for n in 0..20 {
        let email = format!("person{n}@example.com");
        let ip = format!("2001:db8:aa:bb::{:x}", n + 1);
        let page = browser
            .post_raw(
                "/login",
                &[("csrf_token", &token), ("email", &email)],
                &[("x-forwarded-for", &ip)],
            )
            .await;
        assert_eq!(page.status, 303, "code {n}");
    }
    let same_network = browser
        .post_raw(
            "/login",
            &[("csrf_token", &token), ("email", "one-more@example.com")],
            &[("x-forwarded-for", "2001:db8:aa:bb:ffff:ffff:ffff:1")],
        )
        .await;
    assert_eq!(
        same_network.status, 429,
        "another address in the same /64 counts against the same limit"
    );
}

/// The sign-in link in a code mail, as a path.
fn mail_link(text: &str) -> String {
    bucketdesk_testkit::sign_in_link_in(text).expect("a sign-in link in the mail")
}

#[tokio::test]
async fn a_stranger_on_another_network_cannot_lock_the_owner_out() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    // Alice asks for a code first; a stranger elsewhere then does all he can
    let alice = app.browser();
    let alices_code = app.ask_for_code(&alice, "alice@example.com").await;
    let stranger = app.browser_from("203.0.113.66");
    let mut asked = Vec::new();
    for _ in 0..3 {
        asked.push(stranger.request_code("alice@example.com").await.status);
        for guess in ["000000", "111111", "222222", "333333", "444444"] {
            stranger.post("/login/code", &[("code", guess)]).await;
        }
    }
    asked.push(stranger.request_code("alice@example.com").await.status);
    assert_eq!(asked, [303, 303, 303, 429], "the stranger's own allowance");
    let locked: Vec<String> = sqlx::query_scalar("select client_key from login_lockouts")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        locked,
        ["203.0.113.66"],
        "the stranger locked himself out, not Alice"
    );

    // Alice's code was not killed by the stranger's, and works
    let signed_in = alice.post("/login/code", &[("code", &alices_code)]).await;
    assert_eq!(signed_in.location(), Some("/"), "{}", signed_in.body);
    // and a new one from her network too
    let again = app.browser();
    app.sign_in(&again, "alice@example.com").await;
}

#[tokio::test]
async fn when_codes_are_locked_everywhere_the_mail_link_with_its_code_still_signs_in() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    sqlx::query(
        "insert into login_lockouts (email, client_key, locked_until)
         values ('alice@example.com', '', now() + interval '1 hour')",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let browser = app.browser();
    assert_eq!(browser.request_code("alice@example.com").await.status, 303);
    let mail = app.last_email_to("alice@example.com").await;
    let code = code_in(&mail.text).unwrap();
    let typed = browser.post("/login/code", &[("code", &code)]).await;
    assert_eq!(typed.status, 429);
    assert!(typed.body.contains("from anywhere"), "{}", typed.body);

    // on the phone, say: another browser, no session
    let phone = app.browser();
    let link = mail_link(&mail.text);
    let page = phone.get(&link).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Sign in as alice@example.com"),
        "{}",
        page.body
    );
    let signed_in = phone.post(&link, &[("code", &code)]).await;
    assert_eq!(signed_in.location(), Some("/"), "{}", signed_in.body);
    assert_eq!(phone.get("/").await.status, 200);
    let method: String = sqlx::query_scalar(
        "select details ->> 'method' from audit_events where action = 'sign_in'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(method, "email_link");

    // once used, the link is spent
    let spent = app.browser().get(&link).await;
    assert_eq!(spent.status, 410);
    assert!(spent.body.contains("no longer works"));
}

#[tokio::test]
async fn the_mail_link_needs_the_code_and_gives_it_five_tries() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    app.browser().request_code("alice@example.com").await;
    let mail = app.last_email_to("alice@example.com").await;
    let (code, link) = (code_in(&mail.text).unwrap(), mail_link(&mail.text));
    let visitor = app.browser();
    visitor.get(&link).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (1..=4).rev() {
        let page = visitor.post(&link, &[("code", wrong)]).await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains(&format!("{left} tr")), "{}", page.body);
    }
    let dead = visitor.post(&link, &[("code", wrong)]).await;
    assert!(dead.body.contains("tried too often"), "{}", dead.body);
    assert_eq!(visitor.post(&link, &[("code", &code)]).await.status, 410);
    assert_eq!(visitor.get("/").await.location(), Some("/login"));
    assert_eq!(
        app.browser().get("/login/email/not-a-token").await.status,
        410
    );
}

#[tokio::test]
async fn no_address_is_sent_more_than_twenty_codes_an_hour_from_all_networks() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    for n in 0..7 {
        let elsewhere = app.browser_from(&format!("198.51.100.{}", n + 10));
        for _ in 0..3 {
            let status = elsewhere.request_code("alice@example.com").await.status;
            if n * 3 < 20 {
                assert!(status == 303 || status == 429);
            }
        }
    }
    let one_more = app.browser_from("192.0.2.200");
    let page = one_more.request_code("alice@example.com").await;
    assert_eq!(page.status, 429);
    assert!(page.body.contains("Many codes were sent"), "{}", page.body);
    app.mail.wait_for_nth("alice@example.com", 20).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.mail.count_to("alice@example.com"), 20);
}
