//! `bdk inspect <url>`: what a presigned S3 URL says about itself, offline:
//! when it was signed, when it expires, how long it has left, and the bucket
//! and key it names (SigV4 query parameters: `X-Amz-Date`,
//! `X-Amz-Expires`, `X-Amz-Credential`).

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};
use url::Url;

#[derive(Debug, serde::Serialize)]
pub struct Inspection {
    pub signed_at: String,
    pub expires_at: String,
    pub expires_in_seconds: i64,
    /// Seconds left; 0 once expired.
    pub seconds_left: i64,
    pub valid: bool,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub host: String,
    pub bucket: Option<String>,
    pub key: String,
}

/// Reads a presigned URL; `Err` says why it is not one.
pub fn inspect(text: &str, now: OffsetDateTime) -> Result<Inspection, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("not a URL: {e}"))?;
    let query = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.into_owned())
    };
    let date = query("X-Amz-Date").ok_or("not a presigned S3 URL: it has no X-Amz-Date")?;
    let expires =
        query("X-Amz-Expires").ok_or("not a presigned S3 URL: it has no X-Amz-Expires")?;
    let signed = PrimitiveDateTime::parse(
        &date,
        format_description!("[year][month][day]T[hour][minute][second]Z"),
    )
    .map_err(|_| format!("X-Amz-Date is not a time: {date}"))?
    .assume_utc();
    let expires_in: i64 = expires
        .parse()
        .map_err(|_| format!("X-Amz-Expires is not a number of seconds: {expires}"))?;
    let expires_at = signed + Duration::seconds(expires_in);
    let left = (expires_at - now).whole_seconds().max(0);
    // AKID/20261130/us-east-1/s3/aws4_request
    let credential = query("X-Amz-Credential").unwrap_or_default();
    let mut parts = credential.split('/');
    let access_key_id = parts.next().filter(|s| !s.is_empty()).map(str::to_owned);
    let region = parts.nth(1).map(str::to_owned);
    let host = url.host_str().unwrap_or_default().to_owned();
    let path: Vec<String> = url
        .path()
        .trim_start_matches('/')
        .split('/')
        .map(|segment| {
            url::form_urlencoded::parse(format!("x={}", segment.replace('+', "%2B")).as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        })
        .collect();
    // virtual-hosted style names the bucket in the host (bucket.s3.region.amazonaws.com)
    let (bucket, key) = match host.split_once(".s3") {
        Some((bucket, _)) if !bucket.is_empty() => (Some(bucket.to_owned()), path.join("/")),
        _ => match path.split_first() {
            Some((bucket, rest)) => (Some(bucket.clone()), rest.join("/")),
            None => (None, String::new()),
        },
    };
    Ok(Inspection {
        signed_at: signed.format(&Rfc3339).unwrap_or_default(),
        expires_at: expires_at.format(&Rfc3339).unwrap_or_default(),
        expires_in_seconds: expires_in,
        seconds_left: left,
        valid: now < expires_at,
        region,
        access_key_id,
        host,
        bucket,
        key,
    })
}

/// "2 h 5 min", "45 s": the three largest units that are not zero.
pub fn human_duration(seconds: i64) -> String {
    let (d, h, m, s) = (
        seconds / 86400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    let parts: Vec<String> = [(d, "d"), (h, "h"), (m, "min"), (s, "s")]
        .into_iter()
        .filter(|(value, _)| *value > 0)
        .take(3)
        .map(|(value, unit)| format!("{value} {unit}"))
        .collect();
    if parts.is_empty() {
        "0 s".into()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const URL: &str = "https://photos.s3.eu-west-1.amazonaws.com/2026/a%20b.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261130%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20261130T100000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=abc";

    #[test]
    fn a_presigned_url_says_when_it_expires_and_what_it_names() {
        let seen = inspect(URL, datetime!(2026-11-30 10:05:00 UTC)).unwrap();
        assert!(seen.valid);
        assert_eq!(seen.seconds_left, 600);
        assert_eq!(seen.expires_at, "2026-11-30T10:15:00Z");
        assert_eq!(seen.signed_at, "2026-11-30T10:00:00Z");
        assert_eq!(seen.region.as_deref(), Some("eu-west-1"));
        assert_eq!(seen.bucket.as_deref(), Some("photos"));
        assert_eq!(seen.key, "2026/a b.jpg");
        let later = inspect(URL, datetime!(2026-11-30 10:15:00 UTC)).unwrap();
        assert!(!later.valid);
        assert_eq!(later.seconds_left, 0);
    }

    #[test]
    fn path_style_urls_name_the_bucket_first_and_other_urls_are_refused() {
        let path_style = URL.replace(
            "https://photos.s3.eu-west-1.amazonaws.com/",
            "http://127.0.0.1:9000/photos/",
        );
        let seen = inspect(&path_style, datetime!(2026-11-30 10:00:00 UTC)).unwrap();
        assert_eq!(
            (seen.bucket.as_deref(), seen.key.as_str()),
            (Some("photos"), "2026/a b.jpg")
        );
        assert!(
            inspect(
                "https://example.com/file.txt",
                datetime!(2026-11-30 10:00:00 UTC)
            )
            .unwrap_err()
            .contains("X-Amz-Date")
        );
        assert!(inspect("not a url", datetime!(2026-11-30 10:00:00 UTC)).is_err());
        assert_eq!(human_duration(3725), "1 h 2 min 5 s");
        assert_eq!(human_duration(0), "0 s");
    }
}
