//! Renames and moves that show how far they are: when the page's script
//! asks for it (`Accept: application/x-ndjson`), the change runs in its own
//! task (it finishes even if the page goes away) and the answer is one JSON
//! line per step, at most four a second: `{"total": 300, "copied": 120}`,
//! then `{"done": "<page to open>"}`, or `{"problem": "<what happened>"}`
//! when it stopped (the message says what was moved and what was undone).
//! Without the script the same forms answer with a redirect, as before.

use crate::{AppError, Result};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use bucketdesk_core::changes::{MoveProgress, MoveWatch};
use futures::stream;
use serde_json::json;
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

const NDJSON: &str = "application/x-ndjson";

/// Whether the request asks for the progress lines.
pub fn wanted(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains(NDJSON))
}

/// Runs `change` (given where to report its progress) in its own task and
/// answers with its progress lines.
pub fn answer<F, Fut>(change: F) -> Response
where
    F: FnOnce(MoveWatch) -> Fut,
    Fut: Future<Output = Result<Redirect>> + Send + 'static,
{
    let (sender, receiver) = watch::channel(MoveProgress::default());
    let task = tokio::spawn(change(sender));
    // the task holds the sender: when it ends, `changed` fails (once every
    // step was reported), and its result is the last line
    let lines = stream::unfold(Some((receiver, task)), |state| async move {
        let (mut receiver, task) = state?;
        match receiver.changed().await {
            Ok(()) => {
                // gather the steps of the next quarter second into one line
                tokio::time::sleep(Duration::from_millis(250)).await;
                let now = *receiver.borrow_and_update();
                let line = json!({ "total": now.total, "copied": now.copied });
                Some((
                    Ok::<_, std::convert::Infallible>(format!("{line}\n")),
                    Some((receiver, task)),
                ))
            }
            Err(_) => Some((Ok(last_line(task.await)), None)),
        }
    });
    let mut response = Body::from_stream(lines).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(NDJSON));
    response
}

/// Saves what the change kept in the session (a mistake for the next page
/// to show): the answer went out before the change ended, so the session
/// layer cannot. A failure loses only that message, not the change's outcome.
pub async fn keep_session(access: &crate::extract::BucketAccess) {
    if let Err(error) = access.me.session.save().await {
        tracing::warn!(%error, "could not keep a move's message in the session");
    }
}

fn last_line(finished: std::result::Result<Result<Redirect>, tokio::task::JoinError>) -> String {
    let line = match finished {
        Ok(Ok(redirect)) => {
            let response = redirect.into_response();
            let to = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("/");
            json!({ "done": to })
        }
        Ok(Err(error)) => json!({ "problem": in_words(error) }),
        Err(error) => {
            tracing::error!(%error, "a move's task failed");
            json!({ "problem": "The move stopped unexpectedly. Open the folders to see where things are, and try again." })
        }
    };
    format!("{line}\n")
}

/// What the person is told when the change stopped.
fn in_words(error: AppError) -> String {
    match error {
        AppError::BadRequest(message)
        | AppError::Storage(message)
        | AppError::Gone(message)
        | AppError::TooMany(message) => message,
        AppError::Forbidden(message) => message.to_owned(),
        AppError::Unauthorized => "You were signed out: sign in again, then try again.".into(),
        AppError::SecondFactorRequired => {
            "This workspace now asks for a second factor: add one on your account page.".into()
        }
        AppError::NotFound | AppError::NoSuchLink | AppError::NoAccess => {
            "You no longer have access to this bucket.".into()
        }
        AppError::Unavailable(detail) => {
            tracing::warn!(%detail, "a move could not reach a service");
            "The database cannot be reached right now. Try again in a moment.".into()
        }
        AppError::Internal(detail) => {
            tracing::error!(%detail, "a move failed");
            "Something went wrong; it was logged. Open the folders to see where things are.".into()
        }
    }
}
