//! A page opened while signed out comes back after sign-in: a GET that is
//! sent to the sign-in page carries the page it asked for as `next` (a path
//! on this site only, see `session::local_path`), which the code and GitHub
//! sign-ins return to. A script's request (an upload, a share link) is not
//! sent to a page it cannot show: it gets [`signed_out`], which the script
//! turns into "You were signed out" with a way back.

use crate::middleware::csrf;
use crate::session;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The answer to a script whose person is no longer signed in.
pub fn signed_out() -> Response {
    (
        axum::http::StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Your session has ended (you were signed out, or the page was open too long). Reload the page and try again.",
    )
        .into_response()
}

pub async fn return_after_sign_in(request: Request, next: Next) -> Response {
    // scripts send their CSRF token in a header; pages the browser shows do not
    let from_script = request.headers().contains_key(csrf::HEADER);
    let is_get = request.method() == Method::GET;
    let uri = request.uri().clone();
    let mut response = next.run(request).await;
    let to_sign_in = response.status().is_redirection()
        && response.headers().get(header::LOCATION) == Some(&HeaderValue::from_static("/login"));
    if !to_sign_in {
        return response;
    }
    if from_script {
        return signed_out();
    }
    let wanted = uri
        .path_and_query()
        .map(|p| p.as_str())
        .filter(|path| is_get && *path != "/" && !path.starts_with("/login"))
        .and_then(session::local_path);
    if let Some(path) = wanted {
        let encoded: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
        if let Ok(location) = HeaderValue::from_str(&format!("/login?next={encoded}")) {
            response.headers_mut().insert(header::LOCATION, location);
        }
    }
    response
}
