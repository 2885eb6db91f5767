//! `Browser`: an HTTP client with its own cookie jar that does not follow
//! redirects, and sends the CSRF token of the last page it saw, like a person
//! clicking through the pages.

use reqwest::header::{HeaderMap, HeaderValue};
use std::sync::{Arc, Mutex};

pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    csrf: Arc<Mutex<Option<String>>>,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect()
    }

    /// The CSRF token in the page's forms, if it has any.
    pub fn csrf_token(&self) -> Option<String> {
        let start =
            self.body.find(r#"name="csrf_token" value=""#)? + r#"name="csrf_token" value=""#.len();
        let end = self.body[start..].find('"')?;
        Some(self.body[start..start + end].to_owned())
    }
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self::with_headers(base, HeaderMap::new())
    }

    /// A browser that sends these headers with every request (for example
    /// `X-Forwarded-For`, to come from another client network through the
    /// test app's trusted proxy).
    pub fn with_headers(base: &str, headers: HeaderMap) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("bucketdesk-tests")
            .default_headers(headers)
            .build()
            .expect("HTTP client");
        Browser {
            base: base.to_owned(),
            client,
            jar,
            csrf: Arc::default(),
        }
    }

    /// The `Cookie` header this browser sends to the app, e.g. to replay it elsewhere.
    pub fn cookie_header(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = reqwest::Url::parse(&self.base).ok()?;
        self.jar
            .cookies(&url)
            .and_then(|v| v.to_str().ok().map(str::to_owned))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn read(&self, response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        let page = Page {
            status,
            headers,
            body,
        };
        if let Some(token) = page.csrf_token() {
            *self.csrf.lock().expect("csrf lock") = Some(token);
        }
        page
    }

    /// A GET of a full URL (another server, or a link with the app's origin).
    pub async fn get_url(&self, url: &str) -> Page {
        let response = self.client.get(url).send().await.expect("GET");
        self.read(response).await
    }

    pub async fn get(&self, path: &str) -> Page {
        let response = self.client.get(self.url(path)).send().await.expect("GET");
        self.read(response).await
    }

    /// The token this browser would send: the one from the last page with a form.
    pub async fn csrf_token(&self) -> String {
        if let Some(token) = self.csrf.lock().expect("csrf lock").clone() {
            return token;
        }
        self.get("/login")
            .await
            .csrf_token()
            .expect("the sign-in page has a CSRF token")
    }

    /// Submits a form as its page would, with the CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf_token().await;
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(fields);
        self.post_raw(path, &form, &[]).await
    }

    /// Submits exactly these fields and headers (no token added).
    pub async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut request = self.client.post(self.url(path)).form(fields);
        for (name, value) in headers {
            request = request.header(*name, HeaderValue::from_str(value).expect("header value"));
        }
        let response = request.send().await.expect("POST");
        self.read(response).await
    }

    /// Makes a personal access token on the account page, as a person
    /// would, with these scopes; returns its text (shown once).
    pub async fn make_access_token(&self, name: &str, scopes: &[&str]) -> String {
        self.get("/account/tokens").await;
        let mut form = vec![("name", name), ("days", "30")];
        form.extend(scopes.iter().map(|scope| ("scopes", *scope)));
        let page = self.post("/account/tokens", &form).await;
        assert_eq!(page.status, 200, "making a token: {}", page.body);
        let start = page.body.find("bdk_").expect("the new token on the page");
        page.body[start..start + 47].to_owned()
    }

    /// Creates a workspace through its form, as a person would; returns its id.
    pub async fn create_workspace(&self, name: &str) -> String {
        self.get("/workspaces/new").await;
        let page = self.post("/workspaces", &[("name", name)]).await;
        assert_eq!(page.status, 303, "creating a workspace: {}", page.body);
        page.location()
            .expect("a redirect")
            .trim_start_matches("/w/")
            .to_owned()
    }

    /// Connects `bucket` of `s3` (with its key pair) to the workspace as
    /// `display_name`, through the connect form; returns the bucket's id.
    pub async fn connect_bucket(
        &self,
        workspace: &str,
        s3: &bucketdesk_s3_local::LocalS3,
        display_name: &str,
        bucket: &str,
    ) -> String {
        self.get(&format!("/w/{workspace}/buckets/new")).await;
        let endpoint = s3.endpoint();
        let page = self
            .post(
                &format!("/w/{workspace}/buckets"),
                &[
                    ("display_name", display_name),
                    ("provider", "minio"),
                    ("endpoint_url", &endpoint),
                    ("region", "us-east-1"),
                    ("bucket_name", bucket),
                    ("addressing", "auto"),
                    ("access_key_id", &s3.access_key),
                    ("secret_access_key", &s3.secret_key),
                ],
            )
            .await;
        assert_eq!(page.status, 303, "connecting a bucket: {}", page.body);
        let location = page.location().expect("a redirect");
        location
            .split("/b/")
            .nth(1)
            .and_then(|b| b.split('?').next())
            .expect("a bucket id")
            .to_owned()
    }

    /// Opens the sign-in page and asks for a code for `email`.
    pub async fn request_code(&self, email: &str) -> Page {
        self.get("/login").await;
        self.post("/login", &[("email", email)]).await
    }
}
