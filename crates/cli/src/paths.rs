//! Paths as people type them: `s3://photos/2026/a.jpg` or `photos/2026/a.jpg`,
//! where `photos` is the S3 bucket's name or its name in bucketdesk. The
//! bucket is found among the ones the token's owner has a role on.

use crate::client::Client;
use crate::error::Failure;
use bucketdesk_api_types as api;

/// A bucket and a key (or prefix) in it.
pub struct Target {
    pub workspace: String,
    pub bucket: String,
    pub key: String,
}

impl Target {
    /// `/api/v1/workspaces/{w}/buckets/{b}`
    pub fn api(&self) -> String {
        format!(
            "/api/v1/workspaces/{}/buckets/{}",
            self.workspace, self.bucket
        )
    }
}

/// `(bucket, key)` from `s3://bucket/key` or `bucket/key`.
pub fn split(path: &str) -> (&str, &str) {
    let path = path.strip_prefix("s3://").unwrap_or(path);
    path.split_once('/').unwrap_or((path, ""))
}

pub async fn resolve(
    client: &Client,
    path: &str,
    workspace: Option<&str>,
) -> Result<Target, Failure> {
    let (name, key) = split(path);
    if name.is_empty() {
        return Err(Failure::usage(
            "Name a bucket: bdk ls shows the ones you can reach.",
        ));
    }
    let all: api::Workspaces = client.get("/api/v1/workspaces", &[]).await?;
    let matches: Vec<(&api::Workspace, &api::Bucket)> = all
        .workspaces
        .iter()
        .filter(|w| workspace.is_none_or(|wanted| w.name == wanted || w.id == wanted))
        .flat_map(|w| w.buckets.iter().map(move |b| (w, b)))
        .filter(|(_, b)| b.bucket == name || b.name == name || b.id == name)
        .collect();
    match matches.as_slice() {
        [(w, b)] => Ok(Target {
            workspace: w.id.clone(),
            bucket: b.id.clone(),
            key: key.to_owned(),
        }),
        [] => Err(Failure {
            code: crate::error::NOT_FOUND,
            message: format!(
                "You have no bucket called \"{name}\". bdk ls shows the ones you can reach."
            ),
        }),
        several => Err(Failure::usage(format!(
            "\"{name}\" is a bucket in several workspaces ({}); add --workspace NAME.",
            several
                .iter()
                .map(|(w, _)| w.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn paths_name_a_bucket_then_a_key_with_or_without_the_s3_scheme() {
        assert_eq!(split("s3://photos/2026/a.jpg"), ("photos", "2026/a.jpg"));
        assert_eq!(split("photos/2026/"), ("photos", "2026/"));
        assert_eq!(split("photos"), ("photos", ""));
        assert_eq!(split("s3://photos"), ("photos", ""));
    }
}
