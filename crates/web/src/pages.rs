//! Page pieces shared by every handler: the error page and the fallback
//! that gives bare error responses (from layers, rejections) a proper page.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use time::OffsetDateTime;

/// A time as pages and mails show it: `2026-11-22 09:35 UTC`.
pub fn utc_minutes(t: OffsetDateTime) -> String {
    t.format(time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute] UTC"
    ))
    .unwrap_or_default()
}

/// "2026-11-30 14:05:09", in UTC, for the audit log and its CSV.
pub fn utc_seconds(t: OffsetDateTime) -> String {
    t.format(time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second]"
    ))
    .unwrap_or_default()
}

/// A user agent in a few words people recognise: "Firefox on Linux".
pub fn device(user_agent: &str) -> String {
    let has = |part: &str| user_agent.contains(part);
    let browser = if has("Edg/") {
        "Edge"
    } else if has("OPR/") {
        "Opera"
    } else if has("Firefox/") {
        "Firefox"
    } else if has("Chrome/") || has("Chromium/") {
        "Chrome"
    } else if has("Safari/") {
        "Safari"
    } else {
        // a script or tool: its own name, short
        return user_agent
            .split_whitespace()
            .next()
            .unwrap_or("An unknown browser")
            .chars()
            .take(40)
            .collect();
    };
    let system = if has("iPhone") || has("iPad") {
        "iOS"
    } else if has("Android") {
        "Android"
    } else if has("Windows") {
        "Windows"
    } else if has("Mac OS X") || has("Macintosh") {
        "macOS"
    } else if has("CrOS") {
        "ChromeOS"
    } else if has("Linux") {
        "Linux"
    } else {
        return browser.to_owned();
    };
    format!("{browser} on {system}")
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub message: &'a str,
    pub status: u16,
    /// The request's id, to quote when asking for help.
    pub request_id: Option<String>,
}

/// Whether the page being rendered is for a signed-in person (their session
/// was accepted while answering this request): the layout's top bar then
/// has their Account link. Read by `templates/base.html`.
pub fn signed_in() -> bool {
    crate::middleware::logging::RequestUser::signed_in_here()
}

/// What an error page said, kept on its response, so that a layer that
/// knows the person is signed in can show it again with their top bar
/// (see [`with_top_bar`]).
#[derive(Clone)]
struct ShownError {
    title: String,
    message: String,
}

impl ErrorPage<'_> {
    pub fn response(status: StatusCode, title: &str, message: &str) -> Response {
        let mut response = Self::render_page(status, title, message);
        response.extensions_mut().insert(ShownError {
            title: title.to_owned(),
            message: message.to_owned(),
        });
        response
    }

    fn render_page(status: StatusCode, title: &str, message: &str) -> Response {
        let page = ErrorPage {
            title,
            message,
            status: status.as_u16(),
            request_id: crate::middleware::logging::RequestId::here(),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, message.to_owned()).into_response(),
        }
    }

    /// The page for a status that came back without a body of ours.
    pub fn for_status(status: StatusCode) -> Response {
        let (title, message) = match status {
            StatusCode::NOT_FOUND => (
                "Page not found",
                "There is nothing at this address. Check the link, or start again from the home page.",
            ),
            StatusCode::METHOD_NOT_ALLOWED => (
                "Not allowed here",
                "This address does not accept that kind of request.",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "Too large",
                "What you sent is larger than this form accepts.",
            ),
            StatusCode::REQUEST_TIMEOUT => (
                "Took too long",
                "The request took too long and was stopped. Try again.",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "Wrong kind of form",
                "This address expects a form submitted from its page.",
            ),
            StatusCode::SERVICE_UNAVAILABLE => (
                "Temporarily unavailable",
                "bucketdesk cannot reach its database right now. Try again in a moment.",
            ),
            s if s.is_server_error() => (
                "Something went wrong",
                "Something went wrong on our side. It has been logged; try again in a moment.",
            ),
            _ => (
                "Something is wrong with that request",
                "The request could not be understood. Go back and try again.",
            ),
        };
        Self::response(status, title, message)
    }
}

/// An error page shown to someone signed in keeps their top bar (the way to
/// their account): the page is rendered again, its status and headers kept.
pub async fn with_top_bar(
    session: tower_sessions::Session,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let Some(shown) = response.extensions().get::<ShownError>().cloned() else {
        return response;
    };
    if signed_in() {
        return response;
    }
    // refused before any page accepted the session (an unknown address, a
    // failed CSRF check): the session says who it is
    let Ok(Some(signed)) = crate::session::signed_in(&session).await else {
        return response;
    };
    crate::middleware::logging::RequestUser::note_here(signed.user_id);
    let page = ErrorPage::render_page(response.status(), &shown.title, &shown.message);
    let (mut parts, _) = response.into_parts();
    let (page_parts, body) = page.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        page_parts
            .headers
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or(header::HeaderValue::from_static("text/html; charset=utf-8")),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, body)
}

/// Gives every error response that has no body of its own (a bare status from
/// a layer such as the body limit, the timeout or the session store) a page.
pub async fn fill_bare_errors(response: Response) -> Response {
    let status = response.status();
    let bare = !response.headers().contains_key(header::CONTENT_TYPE);
    if (status.is_client_error() || status.is_server_error()) && bare {
        let id = response
            .headers()
            .get(crate::middleware::logging::REQUEST_ID_HEADER);
        let mut page =
            crate::middleware::logging::RequestId::within(id, || ErrorPage::for_status(status));
        for (name, value) in response.headers() {
            if name != header::CONTENT_LENGTH && !page.headers().contains_key(name) {
                page.headers_mut().insert(name.clone(), value.clone());
            }
        }
        return page;
    }
    response
}

#[cfg(test)]
mod tests {
    use super::device;

    #[test]
    fn devices_read_as_browser_on_system() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0";
        assert_eq!(device(firefox), "Firefox on Linux");
        assert_eq!(device(iphone), "Safari on iOS");
        assert_eq!(device(edge), "Edge on Windows");
        assert_eq!(device("curl/8.5.0"), "curl/8.5.0");
        assert_eq!(device(""), "An unknown browser");
    }
}
