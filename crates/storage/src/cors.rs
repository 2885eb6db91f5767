//! A bucket's CORS rules, which decide whether browsers may send it parts
//! directly (with presigned part URLs) instead of through bucketdesk. The
//! rule bucketdesk needs lets its own origin `PUT` (bucketdesk learns each
//! part's ETag from `ListParts`, so the browser need not read it); it is
//! added beside the bucket's other rules, never in their place.

use crate::StorageOptions;
use crate::probe::{ConnectError, classify};
use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{CorsConfiguration, CorsRule as SdkRule};
use serde::Serialize;

/// One CORS rule, shown in the JSON shape S3 consoles and the AWS CLI take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CorsRule {
    #[serde(rename = "ID", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub allowed_headers: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_origins: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expose_headers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age_seconds: Option<i32>,
}

/// What the service says about a bucket's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketCors {
    /// The bucket's rules (empty when it has none).
    Rules(Vec<CorsRule>),
    /// The service keeps no rules per bucket (MinIO, for one, sets CORS for
    /// the whole server).
    NotPerBucket,
}

/// The rule that lets browsers on `origin` send parts to the bucket.
pub fn upload_rule(origin: &str) -> CorsRule {
    CorsRule {
        id: None,
        allowed_headers: vec!["*".into()],
        allowed_methods: vec!["PUT".into()],
        allowed_origins: vec![origin.to_owned()],
        expose_headers: vec![],
        max_age_seconds: Some(3000),
    }
}

/// Whether one of `rules` lets a browser on `origin` send a part (`PUT`,
/// with no header beyond those browsers add themselves).
pub fn allows_uploads(rules: &[CorsRule], origin: &str) -> bool {
    rules.iter().any(|rule| {
        rule.allowed_origins.iter().any(|o| wildcard(o, origin))
            && rule.allowed_methods.iter().any(|m| m == "PUT")
    })
}

/// `rules` with the rule for `origin` added (unchanged when they allow it already).
pub fn with_upload_rule(rules: &[CorsRule], origin: &str) -> Vec<CorsRule> {
    let mut all = rules.to_vec();
    if !allows_uploads(rules, origin) {
        all.push(upload_rule(origin));
    }
    all
}

/// S3's matching: `*` matches anything, and a pattern may hold one `*`.
fn wildcard(pattern: &str, value: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == value,
        Some((head, tail)) => {
            value.len() >= head.len() + tail.len()
                && value.starts_with(head)
                && value.ends_with(tail)
        }
    }
}

/// Reads the bucket's rules.
pub async fn rules(
    client: &Client,
    bucket: &str,
    options: &StorageOptions,
) -> Result<BucketCors, ConnectError> {
    match client.get_bucket_cors().bucket(bucket).send().await {
        Ok(answer) => Ok(BucketCors::Rules(
            answer
                .cors_rules()
                .iter()
                .map(|rule| CorsRule {
                    id: rule.id().map(str::to_owned),
                    allowed_headers: rule.allowed_headers().to_vec(),
                    allowed_methods: rule.allowed_methods().to_vec(),
                    allowed_origins: rule.allowed_origins().to_vec(),
                    expose_headers: rule.expose_headers().to_vec(),
                    max_age_seconds: rule.max_age_seconds(),
                })
                .collect(),
        )),
        Err(error) => match error.code() {
            Some("NoSuchCORSConfiguration") => Ok(BucketCors::Rules(Vec::new())),
            Some("NotImplemented") => Ok(BucketCors::NotPerBucket),
            Some("AccessDenied") => Err(ConnectError::Other(
                "the bucket's key may not read its CORS rules (it needs s3:GetBucketCORS)".into(),
            )),
            _ => Err(classify(error, bucket, options)),
        },
    }
}

/// Replaces the bucket's rules with `rules`.
pub async fn set_rules(
    client: &Client,
    bucket: &str,
    rules: &[CorsRule],
    options: &StorageOptions,
) -> Result<(), ConnectError> {
    let rules = rules
        .iter()
        .map(|rule| {
            SdkRule::builder()
                .set_id(rule.id.clone())
                .set_allowed_headers(Some(rule.allowed_headers.clone()))
                .set_allowed_methods(Some(rule.allowed_methods.clone()))
                .set_allowed_origins(Some(rule.allowed_origins.clone()))
                .set_expose_headers(Some(rule.expose_headers.clone()))
                .set_max_age_seconds(rule.max_age_seconds)
                .build()
                .map_err(|e| ConnectError::Other(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let configuration = CorsConfiguration::builder()
        .set_cors_rules(Some(rules))
        .build()
        .map_err(|e| ConnectError::Other(e.to_string()))?;
    match client
        .put_bucket_cors()
        .bucket(bucket)
        .cors_configuration(configuration)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(error) => match error.code() {
            Some("AccessDenied") => Err(ConnectError::Other(
                "the bucket's key may not change its CORS rules (it needs s3:PutBucketCORS): paste the rule in your provider's console instead, then check again".into(),
            )),
            Some("NotImplemented") => Err(ConnectError::Other(
                "this service keeps no CORS rules per bucket: set CORS for the whole service instead (for MinIO, MINIO_API_CORS_ALLOW_ORIGIN)".into(),
            )),
            _ => Err(classify(error, bucket, options)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_need_put_from_the_origin() {
        let origin = "https://files.example.com";
        assert!(allows_uploads(&[upload_rule(origin)], origin));
        assert!(!allows_uploads(
            &[upload_rule(origin)],
            "https://other.example.com"
        ));
        assert!(allows_uploads(&[upload_rule("*")], origin));
        assert!(allows_uploads(
            &[upload_rule("https://*.example.com")],
            origin
        ));
        let get_only = CorsRule {
            allowed_methods: vec!["GET".into()],
            id: Some("downloads".into()),
            ..upload_rule(origin)
        };
        assert!(!allows_uploads(std::slice::from_ref(&get_only), origin));
        assert_eq!(
            with_upload_rule(std::slice::from_ref(&get_only), origin),
            vec![get_only, upload_rule(origin)],
            "the other rules are kept, with their IDs"
        );
        assert_eq!(with_upload_rule(&[upload_rule(origin)], origin).len(), 1);
    }

    #[test]
    fn the_rule_is_shown_as_the_json_consoles_take() {
        let json = serde_json::to_string(&[upload_rule("https://a.example")]).unwrap();
        assert_eq!(
            json,
            r#"[{"AllowedHeaders":["*"],"AllowedMethods":["PUT"],"AllowedOrigins":["https://a.example"],"MaxAgeSeconds":3000}]"#
        );
    }
}
