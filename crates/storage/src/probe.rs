//! Testing a connection before it is saved: a one-key ListObjectsV2, and
//! every way it can fail, explained in plain words with what to do.

use crate::client::{Connection, StorageOptions, s3_client};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::error::display::DisplayErrorContext;

/// How the bucket is addressed: `bucket.host/key` or `host/bucket/key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressing {
    /// Try both; keep the first that works.
    Auto,
    PathStyle,
    VirtualHost,
}

impl Addressing {
    pub fn parse(s: &str) -> Option<Addressing> {
        match s {
            "auto" | "" => Some(Addressing::Auto),
            "path" => Some(Addressing::PathStyle),
            "virtual" => Some(Addressing::VirtualHost),
            _ => None,
        }
    }
}

/// Why a connection test failed. Each message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "The storage service does not know this access key id. Check it for typos, and that the key is active."
    )]
    UnknownAccessKey,
    #[error(
        "The secret access key does not match the access key id. Paste the secret again: it is shown only once, \
         when the key is created."
    )]
    WrongSecret,
    #[error(
        "There is no bucket called \"{0}\" here. Check the bucket name, the region and the endpoint."
    )]
    NoSuchBucket(String),
    #[error(
        "The key works, but may not list this bucket. Give it these permissions on the bucket: \
         s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject."
    )]
    AccessDenied,
    #[error("The bucket is in region {0}, not the one entered. Choose {0} and try again.")]
    WrongRegion(String),
    #[error(
        "The bucket is in another region than the one entered. Check the bucket's region in your provider's console."
    )]
    WrongRegionUnknown,
    #[error(
        "The endpoint did not answer within {0} seconds. Check the endpoint URL, and that this server can reach \
         it (firewall, proxy, VPN)."
    )]
    Timeout(u64),
    #[error(
        "Cannot connect to the endpoint: {0}. Check the endpoint URL, its port, and that the service is running."
    )]
    Unreachable(String),
    #[error(
        "The secure (TLS) connection to the endpoint failed: {0}. Check that the URL starts with https:// only if \
         the service speaks https, and that its certificate is valid for that host name."
    )]
    Tls(String),
    #[error("{0}")]
    EndpointRefused(String),
    #[error("The endpoint answered, but not like an S3 service. Check the endpoint URL.")]
    NotS3,
    #[error("There is no file or folder called \"{0}\" here (any more).")]
    NoSuchKey(String),
    #[error("This page link is no longer valid. Start again from the first page of the folder.")]
    BadPageToken,
    #[error(
        "AWS did not let bucketdesk assume this role ({0}). Check the role ARN, and that the role's trust policy \
         is the one shown here: it names bucketdesk's identity and this workspace's external id."
    )]
    RoleRefused(String),
    #[error("The storage service refused the request: {0}")]
    Other(String),
}

/// Tests the connection with a one-key listing and returns whether it
/// works path-style (`true`) or virtual-host style (`false`).
pub async fn test_connection(
    connection: &Connection,
    addressing: Addressing,
    options: &StorageOptions,
) -> Result<bool, ConnectError> {
    let order: &[bool] = match addressing {
        Addressing::PathStyle => &[true],
        Addressing::VirtualHost => &[false],
        // AWS prefers virtual-host addressing; local and compatible services
        // are usually reached path-style
        Addressing::Auto if connection.endpoint.is_none() => &[false, true],
        Addressing::Auto => &[true, false],
    };
    let mut first_error = None;
    for &path_style in order {
        match list_one(
            &Connection {
                path_style,
                ..connection.clone()
            },
            options,
        )
        .await
        {
            Ok(()) => return Ok(path_style),
            // the same answer whatever the addressing: no point trying the other
            Err(
                e @ (ConnectError::UnknownAccessKey
                | ConnectError::WrongSecret
                | ConnectError::AccessDenied
                | ConnectError::WrongRegion(_)
                | ConnectError::EndpointRefused(_)
                | ConnectError::RoleRefused(_)
                | ConnectError::Timeout(_)),
            ) => return Err(e),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(ConnectError::NotS3))
}

async fn list_one(connection: &Connection, options: &StorageOptions) -> Result<(), ConnectError> {
    check_client(&s3_client(connection, options), &connection.bucket, options).await
}

/// Checks that an existing client can still list its bucket (one key).
pub async fn check_client(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    options: &StorageOptions,
) -> Result<(), ConnectError> {
    match client
        .list_objects_v2()
        .bucket(bucket)
        .max_keys(1)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(error) => Err(classify(error, bucket, options)),
    }
}

pub(crate) fn classify<E: ProvideErrorMetadata + std::error::Error + 'static>(
    error: SdkError<E, aws_smithy_runtime_api::http::Response>,
    bucket: &str,
    options: &StorageOptions,
) -> ConnectError {
    let chain = DisplayErrorContext(&error).to_string();
    match &error {
        SdkError::ServiceError(context) => {
            let raw = context.raw();
            let region = raw.headers().get("x-amz-bucket-region").map(str::to_owned);
            classify_answer(
                raw.status().as_u16(),
                context.err().code(),
                context.err().message(),
                region,
                bucket,
            )
        }
        SdkError::TimeoutError(_) => ConnectError::Timeout(options.operation_timeout.as_secs()),
        SdkError::DispatchFailure(failure) => {
            if chain.contains("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS") {
                ConnectError::EndpointRefused(private_message(&chain))
            } else if failure.is_timeout()
                || chain.contains("timed out")
                || chain.contains("timeout")
            {
                ConnectError::Timeout(
                    options
                        .connect_timeout
                        .as_secs()
                        .max(options.operation_timeout.as_secs()),
                )
            } else if is_tls(&chain) {
                ConnectError::Tls(tls_problem(&chain))
            } else {
                ConnectError::Unreachable(connection_problem(&error, &chain))
            }
        }
        SdkError::ResponseError(_) => ConnectError::NotS3,
        _ => ConnectError::Other(short(&chain)),
    }
}

/// What an S3 error answer means, from its status, code, message and the
/// region header S3 adds when the region is wrong.
pub fn classify_answer(
    status: u16,
    code: Option<&str>,
    message: Option<&str>,
    region_header: Option<String>,
    bucket: &str,
) -> ConnectError {
    let expected_region = message.and_then(|m| {
        let start = m.find("expecting '")? + "expecting '".len();
        let end = m[start..].find('\'')?;
        Some(m[start..start + end].to_owned())
    });
    match code {
        Some("InvalidAccessKeyId" | "NotSignedUp") => ConnectError::UnknownAccessKey,
        Some("SignatureDoesNotMatch") => ConnectError::WrongSecret,
        Some("NoSuchBucket") => ConnectError::NoSuchBucket(bucket.to_owned()),
        Some("NoSuchKey") => ConnectError::NoSuchKey(String::new()),
        Some("InvalidArgument" | "InvalidToken" | "InvalidContinuationToken")
            if message.is_some_and(|m| m.to_ascii_lowercase().contains("token")) =>
        {
            ConnectError::BadPageToken
        }
        Some("AccessDenied" | "AllAccessDisabled") => ConnectError::AccessDenied,
        Some(
            "AuthorizationHeaderMalformed"
            | "PermanentRedirect"
            | "IllegalLocationConstraintException",
        )
        | None
            if region_header.is_some() || expected_region.is_some() || status == 301 =>
        {
            match region_header.or(expected_region) {
                Some(region) => ConnectError::WrongRegion(region),
                None => ConnectError::WrongRegionUnknown,
            }
        }
        Some(code) => ConnectError::Other(format!("{code}: {}", message.unwrap_or("no details"))),
        None if status == 403 => ConnectError::AccessDenied,
        None if status == 404 => ConnectError::NoSuchBucket(bucket.to_owned()),
        None => ConnectError::NotS3,
    }
}

fn is_tls(chain: &str) -> bool {
    let lower = chain.to_ascii_lowercase();
    [
        "tls",
        "certificate",
        "handshake",
        "invalidcontenttype",
        "corrupt message",
        "ssl",
    ]
    .iter()
    .any(|word| lower.contains(word))
}

fn private_message(chain: &str) -> String {
    chain
        .split(": ")
        .find(|part| part.contains("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS"))
        .unwrap_or(chain)
        .trim()
        .to_owned()
}

/// Why a connection could not be made, in a few words: from the I/O error
/// at the bottom of the chain when there is one (the chain's text holds
/// Debug dumps, not words).
fn connection_problem(error: &(dyn std::error::Error + 'static), chain: &str) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            let words = match io.kind() {
                ConnectionRefused => "connection refused: nothing is listening on that port",
                ConnectionReset | ConnectionAborted => "the connection was reset by the other side",
                HostUnreachable | NetworkUnreachable => {
                    "the host cannot be reached from this server"
                }
                AddrNotAvailable => "the address is not available from this server",
                _ => "",
            };
            if !words.is_empty() {
                return words.to_owned();
            }
        }
        source = current.source();
    }
    let lower = chain.to_ascii_lowercase();
    if lower.contains("failed to lookup address")
        || lower.contains("name or service not known")
        || lower.contains("no such host")
        || lower.contains("dns error")
    {
        "the host name could not be found (check it for typos)".to_owned()
    } else if lower.contains("connection refused") {
        "connection refused: nothing is listening on that port".to_owned()
    } else {
        short(chain)
    }
}

/// What went wrong with TLS, in a few words.
fn tls_problem(chain: &str) -> String {
    let lower = chain.to_ascii_lowercase();
    if lower.contains("invalidcontenttype") || lower.contains("corrupt message") {
        "the server does not speak TLS (if it is plain HTTP, the endpoint starts with http://)"
            .to_owned()
    } else if lower.contains("notvalidforname") || lower.contains("not valid for name") {
        "its certificate is not valid for this host name".to_owned()
    } else if lower.contains("expired") {
        "its certificate has expired".to_owned()
    } else if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
        "its certificate is not signed by an authority this server trusts".to_owned()
    } else {
        short(chain)
    }
}

/// The innermost useful part of an error chain, for a one-line explanation:
/// words, not the end of a Debug dump.
fn short(chain: &str) -> String {
    let words = |part: &&str| {
        let part = part.trim();
        !part.is_empty()
            && !part.contains(['{', '}', '(', ')'])
            && part.chars().any(char::is_alphabetic)
    };
    if let Some(part) = chain.split(": ").filter(words).last() {
        return part.trim().chars().take(200).collect();
    }
    "no details were given".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_answers_for_a_wrong_region_name_the_right_one() {
        // what S3 answers when the signature's region is wrong
        let malformed = classify_answer(
            400,
            Some("AuthorizationHeaderMalformed"),
            Some(
                "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'",
            ),
            None,
            "b",
        );
        assert_eq!(malformed, ConnectError::WrongRegion("eu-west-1".into()));
        // and when a virtual-host request reaches the wrong regional endpoint
        let moved = classify_answer(
            301,
            Some("PermanentRedirect"),
            None,
            Some("ap-south-1".into()),
            "b",
        );
        assert_eq!(moved, ConnectError::WrongRegion("ap-south-1".into()));
        assert_eq!(
            classify_answer(301, None, None, None, "b"),
            ConnectError::WrongRegionUnknown
        );
    }

    #[test]
    fn credential_and_bucket_errors_are_told_apart() {
        assert_eq!(
            classify_answer(403, Some("InvalidAccessKeyId"), None, None, "b"),
            ConnectError::UnknownAccessKey
        );
        assert_eq!(
            classify_answer(403, Some("SignatureDoesNotMatch"), None, None, "b"),
            ConnectError::WrongSecret
        );
        assert_eq!(
            classify_answer(404, Some("NoSuchBucket"), None, None, "b"),
            ConnectError::NoSuchBucket("b".into())
        );
        assert_eq!(
            classify_answer(403, Some("AccessDenied"), None, None, "b"),
            ConnectError::AccessDenied
        );
        assert!(
            ConnectError::AccessDenied
                .to_string()
                .contains("s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject")
        );
    }
}
