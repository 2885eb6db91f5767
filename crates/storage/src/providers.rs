//! Endpoint presets for the providers people use most. A preset turns a
//! region (and for R2 an account id) into the endpoint URL, so people do not
//! have to look it up.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Aws,
    CloudflareR2,
    Minio,
    BackblazeB2,
    Wasabi,
    DigitalOceanSpaces,
    Custom,
    /// bucketdesk's own S3 server on a folder (the demo bucket; s3s-fs).
    Local,
}

impl Provider {
    pub const ALL: [Provider; 8] = [
        Provider::Aws,
        Provider::CloudflareR2,
        Provider::Minio,
        Provider::BackblazeB2,
        Provider::Wasabi,
        Provider::DigitalOceanSpaces,
        Provider::Custom,
        Provider::Local,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::CloudflareR2 => "r2",
            Provider::Minio => "minio",
            Provider::BackblazeB2 => "b2",
            Provider::Wasabi => "wasabi",
            Provider::DigitalOceanSpaces => "spaces",
            Provider::Custom => "custom",
            Provider::Local => "local",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Provider::Aws => "Amazon S3",
            Provider::CloudflareR2 => "Cloudflare R2",
            Provider::Minio => "MinIO",
            Provider::BackblazeB2 => "Backblaze B2",
            Provider::Wasabi => "Wasabi",
            Provider::DigitalOceanSpaces => "DigitalOcean Spaces",
            Provider::Custom => "Other S3-compatible service",
            Provider::Local => "bucketdesk's local S3 server (a folder on disk)",
        }
    }

    pub fn parse(s: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Whether the service keeps each object as a file named by its key:
    /// then `.` and `..` parts of a key lead to other files (S19).
    pub fn file_system_backed(self) -> bool {
        matches!(self, Provider::Minio | Provider::Local)
    }

    /// The region to suggest: R2 only knows `auto`.
    pub fn default_region(self) -> &'static str {
        match self {
            Provider::CloudflareR2 => "auto",
            _ => "us-east-1",
        }
    }

    /// Whether people type the endpoint themselves (MinIO, other services).
    pub fn needs_endpoint(self) -> bool {
        matches!(self, Provider::Minio | Provider::Custom | Provider::Local)
    }

    /// The endpoint for this provider: `Ok(None)` is AWS's own regional
    /// endpoint; `Err` says what is missing.
    pub fn endpoint(self, region: &str, r2_account_id: &str) -> Result<Option<String>, String> {
        Ok(Some(match self {
            Provider::Aws => return Ok(None),
            Provider::Minio | Provider::Custom | Provider::Local => {
                return Err("Enter the endpoint URL of your S3-compatible service.".into());
            }
            Provider::CloudflareR2 => {
                let id = r2_account_id.trim();
                if id.len() != 32 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err("Enter your Cloudflare account id: 32 letters and digits, shown in the R2 dashboard.".into());
                }
                format!(
                    "https://{}.r2.cloudflarestorage.com",
                    id.to_ascii_lowercase()
                )
            }
            Provider::BackblazeB2 => format!("https://s3.{region}.backblazeb2.com"),
            Provider::Wasabi => format!("https://s3.{region}.wasabisys.com"),
            Provider::DigitalOceanSpaces => format!("https://{region}.digitaloceanspaces.com"),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_build_endpoints_from_the_region() {
        assert_eq!(Provider::Aws.endpoint("eu-west-1", ""), Ok(None));
        assert_eq!(
            Provider::BackblazeB2
                .endpoint("us-west-004", "")
                .unwrap()
                .as_deref(),
            Some("https://s3.us-west-004.backblazeb2.com")
        );
        assert_eq!(
            Provider::CloudflareR2
                .endpoint("auto", "0123456789abcdef0123456789ABCDEF")
                .unwrap()
                .as_deref(),
            Some("https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com")
        );
        assert!(Provider::CloudflareR2.endpoint("auto", "nope").is_err());
        assert!(Provider::Minio.endpoint("us-east-1", "").is_err());
    }

    #[test]
    fn names_round_trip() {
        for p in Provider::ALL {
            assert_eq!(Provider::parse(p.as_str()), Some(p));
        }
    }
}
