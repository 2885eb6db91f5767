//! Buckets' CORS rules, kept and enforced the way S3 does: `PutBucketCors`
//! stores a bucket's rules (here in a JSON file per bucket, under a folder
//! whose name no bucket can have), and a browser's cross-origin request is
//! answered with CORS headers only when one of the bucket's rules allows
//! its origin, method and headers. A preflight no rule allows is refused
//! with 403, as S3 refuses it; a bucket without rules allows no origin.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One CORS rule, as S3 keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsRule {
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<i32>,
}

/// Every bucket's rules, read from and written to `<root>/.bucket-cors/`.
pub struct BucketCors {
    folder: PathBuf,
    rules: Mutex<HashMap<String, Option<Vec<CorsRule>>>>,
}

impl BucketCors {
    pub fn new(root: &Path) -> BucketCors {
        BucketCors {
            // bucket names cannot start with a dot, so s3s-fs never lists it
            folder: root.join(".bucket-cors"),
            rules: Mutex::new(HashMap::new()),
        }
    }

    fn file(&self, bucket: &str) -> PathBuf {
        self.folder.join(format!("{bucket}.json"))
    }

    /// The bucket's rules; `None` when it has none.
    pub fn get(&self, bucket: &str) -> Option<Vec<CorsRule>> {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        rules
            .entry(bucket.to_owned())
            .or_insert_with(|| {
                std::fs::read(self.file(bucket))
                    .ok()
                    .and_then(|json| serde_json::from_slice(&json).ok())
            })
            .clone()
    }

    /// Replaces the bucket's rules (`None` deletes them).
    pub fn set(&self, bucket: &str, new: Option<Vec<CorsRule>>) -> std::io::Result<()> {
        match &new {
            Some(rules) => {
                std::fs::create_dir_all(&self.folder)?;
                let json = serde_json::to_vec_pretty(rules).map_err(std::io::Error::other)?;
                std::fs::write(self.file(bucket), json)?;
            }
            None => match std::fs::remove_file(self.file(bucket)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            },
        }
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        rules.insert(bucket.to_owned(), new);
        Ok(())
    }

    /// The rule of `bucket` that allows `method` from `origin` with these
    /// request headers, if one does (S3 applies the first that matches).
    pub fn allowing(
        &self,
        bucket: &str,
        origin: &str,
        method: &str,
        headers: &[String],
    ) -> Option<CorsRule> {
        self.get(bucket)?.into_iter().find(|rule| {
            rule.allowed_origins.iter().any(|o| wildcard(o, origin))
                && rule.allowed_methods.iter().any(|m| m == method)
                && headers.iter().all(|h| {
                    rule.allowed_headers
                        .iter()
                        .any(|allowed| wildcard(&allowed.to_ascii_lowercase(), h))
                })
        })
    }
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

/// The bucket a path-style request names.
pub fn bucket_of(path: &str) -> &str {
    path.trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_match_exactly_or_by_one_wildcard() {
        assert!(wildcard("*", "http://127.0.0.1:8080"));
        assert!(wildcard(
            "https://*.example.com",
            "https://files.example.com"
        ));
        assert!(!wildcard("https://*.example.com", "https://example.org"));
        assert!(wildcard("http://127.0.0.1:8080", "http://127.0.0.1:8080"));
        assert!(!wildcard("http://127.0.0.1:8080", "http://127.0.0.1:8081"));
    }

    #[test]
    fn a_bucket_without_rules_allows_no_origin_and_rules_survive_a_restart() {
        let root = std::env::temp_dir().join(format!("cors-test-{}", std::process::id()));
        let cors = BucketCors::new(&root);
        assert!(cors.allowing("b", "http://a", "PUT", &[]).is_none());
        let rule = CorsRule {
            allowed_origins: vec!["http://a".into()],
            allowed_methods: vec!["PUT".into()],
            allowed_headers: vec!["*".into()],
            expose_headers: vec!["ETag".into()],
            max_age_seconds: Some(3000),
        };
        cors.set("b", Some(vec![rule.clone()])).unwrap();
        let again = BucketCors::new(&root);
        assert_eq!(
            again.allowing("b", "http://a", "PUT", &["content-type".into()]),
            Some(rule)
        );
        assert!(again.allowing("b", "http://a", "DELETE", &[]).is_none());
        assert!(again.allowing("b", "http://evil", "PUT", &[]).is_none());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
