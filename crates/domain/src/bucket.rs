//! What a connected bucket is made of, and the rules its fields follow.

/// A bucket name as S3 accepts it for new buckets: 3-63 characters of
/// lower-case letters, digits, dots and hyphens, starting and ending with a
/// letter or digit, not shaped like an IP address, without `..`.
pub fn check_bucket_name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if name.is_empty() {
        return Err("Enter the bucket's name.".into());
    }
    if !(3..=63).contains(&len) {
        return Err(format!(
            "A bucket name is 3 to 63 characters long; this one has {len}."
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Err("A bucket name has only lower-case letters, digits, dots and hyphens.".into());
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !edge_ok(name.chars().next()) || !edge_ok(name.chars().last()) {
        return Err("A bucket name starts and ends with a letter or a digit.".into());
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return Err("A bucket name has no two dots in a row, and no dot next to a hyphen.".into());
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err("A bucket name cannot look like an IP address.".into());
    }
    Ok(())
}

/// A region name such as `us-east-1`, `eu-central-003` or `auto` (R2).
pub fn check_region(region: &str) -> Result<(), String> {
    let ok = (2..=40).contains(&region.len())
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err("A region looks like us-east-1 (or auto for Cloudflare R2).".into())
    }
}

/// A name people give to a workspace or a bucket: 1-100 characters, no
/// control characters.
pub fn check_display_name(name: &str, what: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err(format!("Give the {what} a name."));
    }
    if name.chars().count() > 100 {
        return Err(format!("A {what} name is at most 100 characters long."));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("A {what} name cannot contain control characters."));
    }
    Ok(())
}

/// An access key id as providers issue them: 3-128 visible ASCII characters.
pub fn check_access_key_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("Enter the access key id.".into());
    }
    if !(3..=128).contains(&id.len()) || !id.chars().all(|c| c.is_ascii_graphic()) {
        return Err(
            "An access key id is 3 to 128 letters, digits or symbols, without spaces.".into(),
        );
    }
    Ok(())
}

/// An IAM role's ARN: `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`.
pub fn check_role_arn(arn: &str) -> Result<(), String> {
    let problem = || {
        "Type the role's ARN as IAM shows it, like arn:aws:iam::123456789012:role/bucketdesk-photos.".to_owned()
    };
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(problem());
    };
    let name = resource.strip_prefix("role/").unwrap_or_default();
    let valid = partition.starts_with("aws")
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && arn.len() <= 2048
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c));
    if valid { Ok(()) } else { Err(problem()) }
}

/// A secret access key: 1-256 visible ASCII characters.
pub fn check_secret_key(secret: &str) -> Result<(), String> {
    if secret.is_empty() {
        return Err("Enter the secret access key.".into());
    }
    if secret.len() > 256 || !secret.chars().all(|c| c.is_ascii_graphic()) {
        return Err(
            "A secret access key is up to 256 letters, digits or symbols, without spaces.".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_bucket_names() {
        for name in [
            "abc",
            "my-bucket",
            "logs.example.com",
            "a1b2c3",
            &"x".repeat(63),
        ] {
            assert!(check_bucket_name(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn refuses_names_s3_would_refuse() {
        for name in [
            "",
            "ab",
            &"x".repeat(64),
            "My-Bucket",
            "under_score",
            "-start",
            "end-",
            "a..b",
            "a.-b",
            "192.168.1.1",
            "has space",
        ] {
            assert!(check_bucket_name(name).is_err(), "{name}");
        }
    }

    #[test]
    fn regions() {
        assert!(check_region("us-east-1").is_ok());
        assert!(check_region("auto").is_ok());
        assert!(check_region("US East").is_err());
        assert!(check_region("").is_err());
    }

    #[test]
    fn display_names() {
        assert!(check_display_name("Marketing assets", "bucket").is_ok());
        assert!(check_display_name("  ", "bucket").is_err());
        assert!(check_display_name("a\u{0}b", "bucket").is_err());
        assert!(check_display_name(&"x".repeat(101), "bucket").is_err());
    }

    #[test]
    fn keys() {
        assert!(check_access_key_id("AKIAIOSFODNN7EXAMPLE").is_ok());
        assert!(check_access_key_id("AK IA").is_err());
        assert!(check_secret_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").is_ok());
        assert!(check_secret_key("").is_err());
    }
}

#[cfg(test)]
mod role_arn_tests {
    use super::check_role_arn;

    #[test]
    fn a_role_arn_names_an_iam_role_in_a_twelve_digit_account() {
        for good in [
            "arn:aws:iam::123456789012:role/bucketdesk",
            "arn:aws-cn:iam::123456789012:role/team/photos-reader",
            "arn:aws-us-gov:iam::123456789012:role/a+b=c,d.e@f_g-h",
        ] {
            assert_eq!(check_role_arn(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "bucketdesk",
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam::12345:role/short-account",
            "arn:aws:sts::123456789012:assumed-role/x/y",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/has space",
            "arn:aws:iam:us-east-1:123456789012:role/regional",
        ] {
            assert!(check_role_arn(bad).is_err(), "{bad}");
        }
    }
}
