//! The API's errors: the core's error (or a request the API cannot read) as
//! `{"error": {"code", "message", "fields"}}` with the right status.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bucketdesk_api_types::{Error, ErrorBody, FieldError};
use bucketdesk_core::{CoreError, Denied};
use bucketdesk_storage::ConnectError;

pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Debug)]
pub enum ApiError {
    Core(CoreError),
    /// A body or query the API cannot read; the message says why.
    BadRequest(String),
    /// No such route.
    NoRoute,
    /// The route exists, not with this method.
    MethodNotAllowed,
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        ApiError::Core(e)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Core(e.into())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        ApiError::BadRequest(e.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::BadRequest(e.body_text())
    }
}

fn body(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
    fields: Vec<FieldError>,
) -> Response {
    let body = ErrorBody {
        error: Error {
            code: code.to_owned(),
            message: message.into(),
            fields,
        },
    };
    (status, Json(body)).into_response()
}

/// A storage failure's stable code and status.
fn storage(problem: &ConnectError) -> (StatusCode, &'static str) {
    match problem {
        ConnectError::NoSuchKey(_) => (StatusCode::NOT_FOUND, "not_found"),
        ConnectError::BadPageToken => (StatusCode::BAD_REQUEST, "invalid"),
        ConnectError::Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, "storage_timeout"),
        ConnectError::AccessDenied => (StatusCode::BAD_GATEWAY, "storage_access_denied"),
        ConnectError::UnknownAccessKey | ConnectError::WrongSecret => {
            (StatusCode::BAD_GATEWAY, "storage_credentials")
        }
        ConnectError::RoleRefused(_) => (StatusCode::BAD_GATEWAY, "role_refused"),
        ConnectError::Unreachable(_) | ConnectError::Tls(_) => {
            (StatusCode::BAD_GATEWAY, "storage_unreachable")
        }
        _ => (StatusCode::BAD_GATEWAY, "storage_error"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let core = match self {
            ApiError::BadRequest(why) => {
                return body(StatusCode::BAD_REQUEST, "bad_request", why, vec![]);
            }
            ApiError::NoRoute => {
                return body(
                    StatusCode::NOT_FOUND,
                    "no_route",
                    "There is no such API route; see /api/docs.",
                    vec![],
                );
            }
            ApiError::MethodNotAllowed => {
                return body(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    "This route does not take that method; see /api/docs.",
                    vec![],
                );
            }
            ApiError::Core(core) => core,
        };
        match core {
            CoreError::Unauthenticated => {
                let mut response = body(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "Send a valid personal access token: Authorization: Bearer bdk_... (make one on your account page).",
                    vec![],
                );
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"bucketdesk\""),
                );
                response
            }
            CoreError::NoAccess | CoreError::NotFound => body(
                StatusCode::NOT_FOUND,
                "not_found",
                "It does not exist, or you have no access to it.",
                vec![],
            ),
            CoreError::Forbidden(Denied::BucketRole { needed }) => body(
                StatusCode::FORBIDDEN,
                "role_too_low",
                format!("This needs the {} role on the bucket.", needed.label()),
                vec![],
            ),
            CoreError::Forbidden(Denied::OutsideFolders) => body(
                StatusCode::FORBIDDEN,
                "outside_granted_folders",
                "Your access to this bucket is limited to some of its folders, and this is outside them.",
                vec![],
            ),
            CoreError::Forbidden(Denied::WorkspaceRole { needed }) => body(
                StatusCode::FORBIDDEN,
                "role_too_low",
                format!("This needs the {} role in the workspace.", needed.label()),
                vec![],
            ),
            CoreError::Forbidden(Denied::Scope { needed }) => body(
                StatusCode::FORBIDDEN,
                "scope_missing",
                format!("This token lacks the \"{needed}\" scope; make one that has it."),
                vec![],
            ),
            CoreError::Forbidden(Denied::Outranked) => body(
                StatusCode::FORBIDDEN,
                "outranked",
                "That person has a higher role there than you.",
                vec![],
            ),
            CoreError::Forbidden(Denied::AboveOwnRole { own }) => body(
                StatusCode::FORBIDDEN,
                "above_own_role",
                format!("You can give at most your own role there, {}.", own.label()),
                vec![],
            ),
            CoreError::Forbidden(Denied::InstanceAdmin) => body(
                StatusCode::FORBIDDEN,
                "instance_admin_only",
                "On this instance only its admins do this.",
                vec![],
            ),
            CoreError::Forbidden(Denied::SecondFactor) => body(
                StatusCode::FORBIDDEN,
                "second_factor_required",
                "This workspace asks its members for a second factor or single sign-on. Add an authenticator app on your account page (or sign in with single sign-on), then make a new token.",
                vec![],
            ),
            CoreError::Forbidden(Denied::Network) => body(
                StatusCode::FORBIDDEN,
                "network_not_allowed",
                "This link opens only from the networks it was limited to.",
                vec![],
            ),
            CoreError::Forbidden(Denied::SessionOnly) => body(
                StatusCode::FORBIDDEN,
                "session_only",
                "This is done on the account page, signed in with a browser.",
                vec![],
            ),
            CoreError::Conflict { code, message } => {
                body(StatusCode::CONFLICT, code, message, vec![])
            }
            CoreError::TooLarge { limit } => body(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                crate::error::too_large(limit),
                vec![],
            ),
            CoreError::Gone(state) => body(StatusCode::GONE, "gone", state.refusal(), vec![]),
            CoreError::TooMany { retry_after } => {
                let mut response = body(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "Too many attempts; wait, then try again.",
                    vec![],
                );
                if let Ok(value) = HeaderValue::from_str(&retry_after.as_secs().to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            CoreError::LinkOrphaned => body(
                StatusCode::GONE,
                "gone",
                "The link's creator lost access, or its bucket was disconnected.",
                vec![],
            ),
            CoreError::Invalid(problems) => {
                let message = problems
                    .iter()
                    .map(|p| p.message.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                let fields = problems
                    .into_iter()
                    .map(|p| FieldError {
                        field: p.field.to_owned(),
                        code: p.code.to_owned(),
                        message: p.message,
                    })
                    .collect();
                body(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message, fields)
            }
            CoreError::Storage(problem) => {
                let (status, code) = storage(&problem);
                body(status, code, problem.to_string(), vec![])
            }
            CoreError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "service unavailable");
                let mut response = body(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "bucketdesk cannot reach its database right now. Try again in a moment.",
                    vec![],
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                response
                    .extensions_mut()
                    .insert(crate::middleware::database::DatabaseUnavailable);
                response
            }
            CoreError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                body(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Something went wrong on our side. It has been logged; try again in a moment.",
                    vec![],
                )
            }
        }
    }
}
