//! What every page has (S11 headers) and how bad requests are answered:
//! a clear page with the right status, never a 500 or a stack trace.

use bucketdesk_testkit::TestApp;

#[tokio::test]
async fn every_response_has_the_security_headers() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in_as("alice@example.com").await;
    for path in [
        "/",
        "/login",
        "/no-such-page",
        "/healthz",
        "/static/app.css",
    ] {
        let page = browser.get(path).await;
        let csp = page.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(
            page.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            page.header("referrer-policy"),
            Some("no-referrer"),
            "{path}"
        );
        assert_eq!(page.header("x-frame-options"), Some("DENY"), "{path}");
    }
}

#[tokio::test]
async fn pages_are_not_cached_but_static_files_are() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in_as("alice@example.com").await;
    assert_eq!(
        browser.get("/").await.header("cache-control"),
        Some("no-store")
    );
    let css = browser.get("/static/app.css").await;
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(css.header("cache-control").unwrap().contains("max-age"));
    // pages name the files with their version: kept a year, yet an upgrade's
    // new stylesheet and scripts are fetched at once (a new version, a new address)
    let home = browser.get("/").await;
    let start = home
        .body
        .find("/static/app.css?v=")
        .expect("a versioned stylesheet");
    let address: String = home.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    assert_eq!(address.len(), "/static/app.css?v=".len() + 12, "{address}");
    assert!(
        home.body.contains(&address.replace("app.css", "app.js")),
        "one version for all"
    );
    let versioned = browser.get(&address).await;
    assert_eq!(
        versioned.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(versioned.body, css.body);
}

#[tokio::test]
async fn an_unknown_route_gets_a_404_page() {
    let app = TestApp::spawn().await;
    let page = app.browser().get("/no/such/page?x=<b>").await;
    assert_eq!(page.status, 404);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.body.contains("Page not found"));
}

#[tokio::test]
async fn a_wrong_method_gets_a_405_page() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let token = browser.get("/login").await.csrf_token().unwrap();
    let response = browser
        .client
        .put(browser.url("/login"))
        .header("x-csrf-token", token)
        .send()
        .await
        .unwrap();
    let page = browser.read(response).await;
    assert_eq!(page.status, 405);
    assert!(
        page.body.contains("does not accept that kind of request"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn an_oversized_form_gets_a_413_page() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.get("/login").await;
    let huge = "a".repeat(200 * 1024);
    let page = browser.post("/login", &[("email", &huge)]).await;
    assert_eq!(page.status, 413);
    assert!(
        page.body.contains("larger than this form accepts"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_body_that_is_not_a_form_gets_a_clear_page() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let token = browser.get("/login").await.csrf_token().unwrap();
    let response = browser
        .client
        .post(browser.url("/login"))
        .header("x-csrf-token", token)
        .header("content-type", "application/json")
        .body(r#"{"email": 5}"#)
        .send()
        .await
        .unwrap();
    let page = browser.read(response).await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("The form could not be read"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn invalid_utf8_and_odd_encodings_in_forms_get_a_clear_page() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let token = browser.get("/login").await.csrf_token().unwrap();
    let response = browser
        .client
        .post(browser.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={token}&email=%FF%FE%00&email=second"))
        .send()
        .await
        .unwrap();
    let page = browser.read(response).await;
    assert!(
        page.status == 400 || page.status == 422,
        "{}: {}",
        page.status,
        page.body
    );
    assert!(!page.body.contains("panicked"));
}

#[tokio::test]
async fn the_favicon_and_script_are_served() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    assert_eq!(
        browser
            .get("/static/favicon.svg")
            .await
            .header("content-type"),
        Some("image/svg+xml")
    );
    assert_eq!(browser.get("/static/app.js").await.status, 200);
}

#[tokio::test]
async fn a_request_that_takes_too_long_gets_a_408_page_instead_of_hanging() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::builder()
        .request_timeout(std::time::Duration::from_secs(1))
        .spawn()
        .await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    // a body announced but never finished
    stream
        .write_all(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap_or(0);
            answer.extend_from_slice(&buf[..n]);
            if n == 0 || String::from_utf8_lossy(&answer).contains("</html>") {
                break;
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server answered instead of waiting forever"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("took too long"), "{answer}");
}

#[tokio::test]
async fn pages_styles_and_scripts_are_sent_compressed_to_browsers_that_ask() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in_as("alice@example.com").await;
    let fetch = |path: &'static str| {
        let request = browser
            .client
            .get(browser.url(path))
            .header("accept-encoding", "gzip");
        async move {
            let response = request.send().await.unwrap();
            let encoding = response
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_owned());
            (encoding, response.bytes().await.unwrap())
        }
    };
    for path in ["/", "/static/app.css", "/static/app.js", "/api/docs"] {
        let (encoding, body) = fetch(path).await;
        assert_eq!(encoding.as_deref(), Some("gzip"), "{path}");
        assert_eq!(&body[..2], &[0x1f, 0x8b], "{path}: gzip bytes");
    }
    // an icon is sent as it is; so is everything to a client that did not ask
    assert_eq!(fetch("/static/favicon.svg").await.0, None);
    let plain = browser.get("/static/app.css").await;
    assert_eq!(plain.header("content-encoding"), None);
    assert!(plain.body.contains(":root"));
}
