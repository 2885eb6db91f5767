//! `Form<T>`: axum's form extractor, with its rejections shown as a clear page.

use crate::AppError;
use axum::extract::FromRequest;
use axum::extract::rejection::FormRejection;

#[derive(FromRequest)]
#[from_request(via(axum::Form), rejection(AppError))]
pub struct Form<T>(pub T);

impl From<FormRejection> for AppError {
    fn from(rejection: FormRejection) -> Self {
        AppError::BadRequest(format!(
            "The form could not be read ({}). Go back, reload the page and try again.",
            rejection.body_text()
        ))
    }
}
