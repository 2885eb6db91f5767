//! How `bdk` fails: a message a person understands on stderr, and an exit
//! code a script can test.
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | done (for `inspect`: the URL is valid) |
//! | 1 | an error (network, server, storage) |
//! | 2 | usage: a wrong command, option or path, or no profile |
//! | 3 | not found (or no access) |
//! | 4 | refused: not signed in, a token without the scope, a role too low |
//! | 5 | expired or gone (for `inspect`: the URL has expired) |
//! | 6 | rate limited: try again later |

use bucketdesk_api_types::ErrorBody;

pub const ERROR: u8 = 1;
pub const USAGE: u8 = 2;
pub const NOT_FOUND: u8 = 3;
pub const REFUSED: u8 = 4;
pub const EXPIRED: u8 = 5;
pub const RATE_LIMITED: u8 = 6;

#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn error(message: impl Into<String>) -> Failure {
        Failure {
            code: ERROR,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: USAGE,
            message: message.into(),
        }
    }

    /// An API error answer.
    pub fn from_api(status: u16, body: &str) -> Failure {
        let (code, message) = match serde_json::from_str::<ErrorBody>(body) {
            Ok(body) => {
                let mut message = body.error.message;
                for field in body.error.fields {
                    if !message.contains(&field.message) {
                        message.push_str(&format!(" ({}: {})", field.field, field.message));
                    }
                }
                (body.error.code, message)
            }
            Err(_) => (
                String::new(),
                format!(
                    "the server answered {status}: {}",
                    body.chars().take(200).collect::<String>()
                ),
            ),
        };
        let exit = match (status, code.as_str()) {
            (404, _) => NOT_FOUND,
            (401 | 403, _) => REFUSED,
            (410, _) => EXPIRED,
            (429, _) => RATE_LIMITED,
            (400 | 422, _) => USAGE,
            _ => ERROR,
        };
        Failure {
            code: exit,
            message,
        }
    }
}

impl From<reqwest::Error> for Failure {
    fn from(e: reqwest::Error) -> Failure {
        let what = if e.is_connect() {
            "cannot connect to the server"
        } else if e.is_timeout() {
            "the server did not answer in time"
        } else {
            "the request failed"
        };
        Failure::error(format!("{what}: {e}"))
    }
}
