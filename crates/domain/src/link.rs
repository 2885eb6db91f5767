//! Rules for revocable links: how long they live, their limits, notes and
//! passwords as people type them, and the names uploads get so that nothing
//! is overwritten.

use std::time::Duration;

/// How long a new revocable link lives unless its creator says otherwise.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// The longest note a link can carry.
pub const MAX_NOTE_CHARS: usize = 500;
/// Passwords shorter than this are refused: they would be guessed.
pub const MIN_PASSWORD_CHARS: usize = 6;
const MAX_PASSWORD_CHARS: usize = 200;

/// The lifetime asked for, in whole seconds (empty: the default), from one
/// second up to `max`.
pub fn lifetime(text: &str, max: Duration) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(DEFAULT_LIFETIME.min(max));
    }
    match text.parse::<i64>() {
        Ok(secs) if secs > 0 && secs as u64 <= max.as_secs() => {
            Ok(Duration::from_secs(secs as u64))
        }
        _ => Err(format!(
            "A link lives from 1 second to {} on this server; choose a time in that range.",
            describe_duration(max)
        )),
    }
}

/// "90 days", "1 day", "12 hours", "30 minutes".
pub fn describe_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (n, unit) = if secs >= 86_400 && secs.is_multiple_of(86_400) {
        (secs / 86_400, "day")
    } else if secs >= 3_600 && secs.is_multiple_of(3_600) {
        (secs / 3_600, "hour")
    } else if secs >= 60 && secs.is_multiple_of(60) {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// An optional positive whole number typed in a form ("" = no limit).
/// `what` names it in the message, e.g. "The download limit".
pub fn limit(text: &str, what: &str) -> Result<Option<i32>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i32>() {
        Ok(n) if n >= 1 => Ok(Some(n)),
        _ => Err(format!(
            "{what} must be a whole number of 1 or more, or left empty for no limit."
        )),
    }
}

/// An optional size in megabytes (MB, 1,000,000 bytes) typed in a form, as bytes.
pub fn size_limit_mb(text: &str, max_bytes: u64) -> Result<Option<u64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let problem = || {
        format!(
            "The largest file size is a number of megabytes from 1 to {}, or empty for no limit.",
            max_bytes / 1_000_000
        )
    };
    let mb: u64 = text.parse().map_err(|_| problem())?;
    match mb.checked_mul(1_000_000) {
        Some(bytes) if mb >= 1 && bytes <= max_bytes => Ok(Some(bytes)),
        _ => Err(problem()),
    }
}

/// The note shown with a link, trimmed; at most 500 characters, one paragraph.
pub fn note(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(format!("A note has at most {MAX_NOTE_CHARS} characters."));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err("A note cannot contain control characters.".into());
    }
    Ok(text.to_owned())
}

/// An optional password ("" = none): at least 6 characters when set.
pub fn password(text: &str) -> Result<Option<&str>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let chars = text.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!(
            "A link password has at least {MIN_PASSWORD_CHARS} characters, or leave it empty for none."
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!(
            "A link password has at most {MAX_PASSWORD_CHARS} characters."
        ));
    }
    Ok(Some(text))
}

/// The most network ranges one link may be limited to.
pub const MAX_NETWORKS: usize = 50;

/// The networks a link may be opened from, as typed (commas, spaces or one
/// per line; an address alone is that one address): each in its shortest
/// form (`10.1.2.3/8` is `10.0.0.0/8`). None typed: from anywhere.
pub fn networks(text: &str) -> Result<Vec<String>, String> {
    let mut found: Vec<String> = Vec::new();
    for entry in text.split(|c: char| c == ',' || c.is_whitespace()) {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let net = match (
            entry.parse::<ipnet::IpNet>(),
            entry.parse::<std::net::IpAddr>(),
        ) {
            (Ok(net), _) => net.trunc(),
            (_, Ok(ip)) => ipnet::IpNet::from(ip),
            _ => {
                return Err(format!(
                    "\"{}\" is not a network: write ranges like 203.0.113.0/24 or 2001:db8::/32, or single addresses.",
                    entry.chars().take(60).collect::<String>()
                ));
            }
        };
        let net = net.to_string();
        if !found.contains(&net) {
            found.push(net);
        }
    }
    if found.len() > MAX_NETWORKS {
        return Err(format!("At most {MAX_NETWORKS} networks per link."));
    }
    Ok(found)
}

/// The most addresses one link may be shared with.
pub const MAX_RECIPIENTS: usize = 50;

/// The addresses a link is for, as typed (commas, semicolons, spaces or one
/// per line), each checked; none typed: anyone with the link.
pub fn recipients(text: &str) -> Result<Vec<String>, String> {
    let mut found: Vec<String> = Vec::new();
    for entry in text.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
        if entry.is_empty() {
            continue;
        }
        let email = crate::Email::parse(entry).map_err(|_| {
            format!(
                "\"{}\" is not an email address: write the addresses the link is for, separated by commas.",
                entry.chars().take(80).collect::<String>()
            )
        })?;
        if !found.iter().any(|known| known == email.as_str()) {
            found.push(email.as_str().to_owned());
        }
    }
    if found.len() > MAX_RECIPIENTS {
        return Err(format!("A link is for at most {MAX_RECIPIENTS} addresses."));
    }
    Ok(found)
}

/// Whether `ip` is in one of `networks` (as [`networks`] wrote them); a
/// link without any opens from anywhere. An IPv4 address reached over IPv6
/// (`::ffff:203.0.113.5`) counts as the IPv4 one.
pub fn network_allows(networks: &[String], ip: std::net::IpAddr) -> bool {
    let ip = match ip {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, std::net::IpAddr::V4),
        v4 => v4,
    };
    networks.is_empty()
        || networks
            .iter()
            .filter_map(|net| net.parse::<ipnet::IpNet>().ok())
            .any(|net| net.contains(&ip))
}

/// A path below a shared folder that cannot climb out of it: no empty, `.`
/// or `..` parts ("" and "sub/" are fine).
pub fn is_plain_path(path: &str) -> bool {
    // "sub/" names a folder: one trailing slash, not an empty part
    let path = path.strip_suffix('/').unwrap_or(path);
    path.is_empty()
        || (!crate::object::has_dot_segment(path) && path.split('/').all(|part| !part.is_empty()))
}

/// The `n`th alternative to a file name that is taken: `report.pdf` becomes
/// `report (1).pdf`, `notes` becomes `notes (1)`, `.env` becomes `.env (1)`.
pub fn numbered_name(name: &str, n: u32) -> String {
    if n == 0 {
        return name.to_owned();
    }
    match name.rfind('.') {
        Some(dot) if dot > 0 => format!("{} ({n}){}", &name[..dot], &name[dot..]),
        _ => format!("{name} ({n})"),
    }
}

/// A link's state as its visitors see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Active,
    Revoked,
    Expired,
    /// The download limit (or for upload links, the file limit) is reached.
    UsedUp,
    /// Its creator no longer has the role it needs on the bucket, or the
    /// bucket was disconnected.
    Orphaned,
}

impl LinkState {
    pub fn label(self) -> &'static str {
        match self {
            LinkState::Active => "Active",
            LinkState::Revoked => "Revoked",
            LinkState::Expired => "Expired",
            LinkState::UsedUp => "Used up",
            LinkState::Orphaned => "No longer works",
        }
    }

    /// Why a visit is refused, in words for the visitor.
    pub fn refusal(self) -> &'static str {
        match self {
            LinkState::Active => "",
            LinkState::Revoked => "This link was revoked by the person who shared it.",
            LinkState::Expired => "This link has expired.",
            LinkState::UsedUp => "This link has been used as many times as it allows.",
            LinkState::Orphaned => {
                "This link no longer works: what it shared is no longer available through it."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NINETY_DAYS: Duration = Duration::from_secs(90 * 86_400);

    #[test]
    fn lifetimes_default_to_seven_days_and_stay_within_the_instance_maximum() {
        assert_eq!(lifetime("", NINETY_DAYS).unwrap(), DEFAULT_LIFETIME);
        assert_eq!(
            lifetime("", Duration::from_secs(3600)).unwrap(),
            Duration::from_secs(3600)
        );
        assert_eq!(
            lifetime(" 3600 ", NINETY_DAYS).unwrap(),
            Duration::from_secs(3600)
        );
        assert_eq!(lifetime("7776000", NINETY_DAYS).unwrap(), NINETY_DAYS);
        for bad in ["0", "-1", "7776001", "soon", "1.5", "99999999999999999999"] {
            let problem = lifetime(bad, NINETY_DAYS).unwrap_err();
            assert!(problem.contains("90 days"), "{bad}: {problem}");
        }
    }

    #[test]
    fn limits_are_empty_or_at_least_one() {
        assert_eq!(limit("", "The download limit").unwrap(), None);
        assert_eq!(limit("2", "The download limit").unwrap(), Some(2));
        for bad in ["0", "-3", "two", "1e3"] {
            assert!(
                limit(bad, "The download limit")
                    .unwrap_err()
                    .starts_with("The download limit")
            );
        }
    }

    #[test]
    fn size_limits_are_megabytes_up_to_the_instance_maximum() {
        assert_eq!(size_limit_mb("", 10_000_000).unwrap(), None);
        assert_eq!(size_limit_mb("5", 10_000_000).unwrap(), Some(5_000_000));
        for bad in ["0", "11", "-1", "x", "99999999999999999999"] {
            assert!(size_limit_mb(bad, 10_000_000).is_err(), "{bad}");
        }
    }

    #[test]
    fn notes_and_passwords_are_checked() {
        assert_eq!(note("  for the auditors \n").unwrap(), "for the auditors");
        assert!(note(&"x".repeat(501)).is_err());
        assert!(note("bell\u{7}").is_err());
        assert_eq!(password("").unwrap(), None);
        assert_eq!(password("secret1").unwrap(), Some("secret1"));
        assert!(password("short").is_err());
        assert!(password(&"p".repeat(201)).is_err());
    }

    #[test]
    fn taken_names_get_a_number_before_the_extension() {
        assert_eq!(numbered_name("report.pdf", 0), "report.pdf");
        assert_eq!(numbered_name("report.pdf", 1), "report (1).pdf");
        assert_eq!(numbered_name("notes", 2), "notes (2)");
        assert_eq!(numbered_name(".env", 1), ".env (1)");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(describe_duration(NINETY_DAYS), "90 days");
        assert_eq!(describe_duration(Duration::from_secs(86_400)), "1 day");
        assert_eq!(describe_duration(Duration::from_secs(7200)), "2 hours");
        assert_eq!(describe_duration(Duration::from_secs(90)), "90 seconds");
    }

    #[test]
    fn paths_below_a_shared_folder_cannot_climb_out() {
        for fine in ["", "a.txt", "sub/", "sub/b.txt", "a..b.txt"] {
            assert!(is_plain_path(fine), "{fine}");
        }
        for escape in [
            "../x",
            "sub/../../x",
            "./x",
            "sub//x",
            "/x",
            "%2e%2e/x",
            "..",
        ] {
            assert!(!is_plain_path(escape), "{escape}");
        }
    }
}

#[cfg(test)]
mod network_tests {
    use super::{network_allows, networks};

    #[test]
    fn networks_are_ranges_or_addresses_in_their_shortest_form() {
        assert_eq!(networks("").unwrap(), Vec::<String>::new());
        assert_eq!(
            networks("10.1.2.3/8, 203.0.113.7\n2001:db8::1/32  10.0.0.0/8").unwrap(),
            ["10.0.0.0/8", "203.0.113.7/32", "2001:db8::/32"]
        );
        let wrong = networks("10.0.0.0/8, 10.0.0.300").unwrap_err();
        assert!(wrong.contains("\"10.0.0.300\" is not a network"), "{wrong}");
        assert!(networks("10.0.0.0/33").is_err());
        let many: Vec<String> = (0..51).map(|n| format!("10.0.{n}.0/24")).collect();
        assert!(networks(&many.join(",")).is_err());
    }

    #[test]
    fn a_link_opens_only_from_its_networks_and_without_any_from_anywhere() {
        let office = networks("203.0.113.0/24, 2001:db8::/32").unwrap();
        let allows = |ip: &str| network_allows(&office, ip.parse().unwrap());
        assert!(allows("203.0.113.200"));
        assert!(allows("2001:db8::5"));
        assert!(allows("::ffff:203.0.113.9"), "IPv4 reached over IPv6");
        assert!(!allows("203.0.114.1"));
        assert!(!allows("198.51.100.1"));
        assert!(network_allows(&[], "198.51.100.1".parse().unwrap()));
    }
}

#[cfg(test)]
mod recipient_tests {
    use super::recipients;

    #[test]
    fn recipients_are_checked_addresses_in_lower_case_once_each() {
        assert_eq!(recipients(" ").unwrap(), Vec::<String>::new());
        assert_eq!(
            recipients("Carol@Example.com; dan@example.com\ncarol@example.com").unwrap(),
            ["carol@example.com", "dan@example.com"]
        );
        let wrong = recipients("carol@example.com, carol at home").unwrap_err();
        assert!(
            wrong.contains("\"carol\" is not an email address"),
            "{wrong}"
        );
        let many: Vec<String> = (0..51).map(|n| format!("p{n}@example.com")).collect();
        assert!(recipients(&many.join(",")).is_err());
    }
}
