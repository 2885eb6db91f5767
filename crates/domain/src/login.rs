//! The rules of one-time-code sign-in (DESIGN.md S1-S3), and how they keep
//! a stranger from locking the owner of an address out (ASVS 6.1.1).
//!
//! Every limit on an address counts per client network (see
//! [`rate_limit_key`]): an attacker elsewhere who asks for codes or types
//! wrong ones uses up their own allowance, never the owner's. Ceilings over
//! all clients stop a distributed attack from flooding a mailbox or guessing
//! forever; when one is reached, the code in each mail still works through
//! the mail's own sign-in link, in any browser, and only there: whoever can
//! read the mailbox can always get in, and nobody else can.

use rand::Rng;
use std::net::IpAddr;
use std::time::Duration;

/// How long a code may be used after it was sent (S1).
pub const CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Wrong tries after which a code dies (S2).
pub const MAX_ATTEMPTS_PER_CODE: i32 = 5;
/// Wrong codes for one address from one client within [`FAILURE_WINDOW`]
/// before codes typed there stop working for that address (S2).
pub const MAX_FAILURES_PER_CLIENT: i64 = 10;
/// Wrong codes for one address from all clients within [`FAILURE_WINDOW`]
/// before codes work for it only through the mail's sign-in link.
pub const MAX_FAILURES_PER_EMAIL: i64 = 100;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60 * 60);
/// How long a lockout lasts (S2).
pub const LOCKOUT: Duration = Duration::from_secs(60 * 60);
/// Codes one address may be sent, asked for from one client, within
/// [`EMAIL_WINDOW`] (S3).
pub const MAX_CODES_PER_EMAIL: i64 = 3;
pub const EMAIL_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Codes one address may be sent from all clients within
/// [`EMAIL_CEILING_WINDOW`]: no mailbox is flooded.
pub const MAX_CODES_PER_EMAIL_CEILING: i64 = 20;
pub const EMAIL_CEILING_WINDOW: Duration = Duration::from_secs(60 * 60);
/// Codes one client IP may ask for within [`IP_WINDOW`] (S3).
pub const MAX_CODES_PER_IP: i64 = 20;
pub const IP_WINDOW: Duration = Duration::from_secs(60 * 60);

/// What the per-client limit counts by: an IPv4 address, or the /64 network
/// of an IPv6 address (one subscriber usually holds a whole /64, so counting
/// single IPv6 addresses would give everyone 2^64 tries).
pub fn rate_limit_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// A freshly drawn six-digit code. Its `Debug` is redacted so it cannot end up
/// in a log line by accident (S13).
#[derive(Clone, PartialEq, Eq)]
pub struct LoginCode(String);

impl LoginCode {
    /// Six digits from the operating system's CSPRNG (S1).
    pub fn generate() -> Self {
        let n: u32 = rand::rngs::OsRng.gen_range(0..1_000_000);
        Self(format!("{n:06}"))
    }

    /// What a person typed, if it can be a code: six digits, ignoring spaces
    /// and dashes people put in when copying from a mail.
    pub fn parse(input: &str) -> Result<Self, CodeFormatError> {
        let digits: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if digits.is_empty() {
            return Err(CodeFormatError::Empty);
        }
        if digits.len() != 6 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(CodeFormatError::NotSixDigits);
        }
        Ok(Self(digits))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for LoginCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginCode(******)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodeFormatError {
    #[error("Enter the 6-digit code from the email.")]
    Empty,
    #[error("The code is 6 digits, like 123456.")]
    NotSixDigits,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_six_digits() {
        for _ in 0..1000 {
            let code = LoginCode::generate();
            assert_eq!(code.expose().len(), 6);
            assert!(code.expose().chars().all(|c| c.is_ascii_digit()));
        }
    }

    #[test]
    fn generated_codes_vary() {
        let codes: std::collections::HashSet<String> = (0..200)
            .map(|_| LoginCode::generate().expose().to_owned())
            .collect();
        assert!(
            codes.len() > 190,
            "only {} distinct codes out of 200",
            codes.len()
        );
    }

    #[test]
    fn parse_accepts_spaces_and_dashes() {
        assert_eq!(LoginCode::parse(" 123 456 ").unwrap().expose(), "123456");
        assert_eq!(LoginCode::parse("123-456").unwrap().expose(), "123456");
    }

    #[test]
    fn parse_refuses_empty_and_non_numeric_input() {
        assert_eq!(LoginCode::parse(""), Err(CodeFormatError::Empty));
        assert_eq!(
            LoginCode::parse("12345a"),
            Err(CodeFormatError::NotSixDigits)
        );
        assert_eq!(
            LoginCode::parse("1234567"),
            Err(CodeFormatError::NotSixDigits)
        );
        assert_eq!(
            LoginCode::parse("١٢٣٤٥٦"),
            Err(CodeFormatError::NotSixDigits)
        );
    }

    #[test]
    fn clients_are_counted_by_ipv4_address_or_ipv6_slash_64() {
        assert_eq!(
            rate_limit_key("198.51.100.7".parse().unwrap()),
            "198.51.100.7"
        );
        assert_eq!(
            rate_limit_key("::ffff:198.51.100.7".parse().unwrap()),
            "198.51.100.7"
        );
        let a = rate_limit_key("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = rate_limit_key("2001:db8:1:2:bbbb:cccc:dddd:eeee".parse().unwrap());
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(a, b);
        assert_ne!(a, rate_limit_key("2001:db8:1:3::1".parse().unwrap()));
    }

    #[test]
    fn debug_never_shows_the_code() {
        let code = LoginCode::parse("424242").unwrap();
        assert!(!format!("{code:?}").contains("424242"));
    }
}
