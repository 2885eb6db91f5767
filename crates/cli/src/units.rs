//! Lengths of time and sizes as people type them on the command line.

use crate::error::Failure;

/// `30d`, `12h`, `90m`, `45s`, `2w` or plain seconds.
pub fn parse_duration(text: &str) -> Result<u64, Failure> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let per = match unit.trim() {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => 0,
    };
    match number.parse::<u64>() {
        Ok(n) if per > 0 && n > 0 => n.checked_mul(per).ok_or_else(|| bad_duration(text)),
        _ => Err(bad_duration(text)),
    }
}

fn bad_duration(text: &str) -> Failure {
    Failure::usage(format!(
        "\"{text}\" is not a duration: write 30d, 12h, 90m, 45s, 2w or a number of seconds."
    ))
}

/// `100MB`, `2GiB`, `512k` or plain bytes (k, M, G are powers of 1000;
/// KiB, MiB, GiB powers of 1024).
pub fn parse_size(text: &str) -> Result<u64, Failure> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let per: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        _ => 0,
    };
    match number.parse::<u64>() {
        Ok(n) if per > 0 && n > 0 => n.checked_mul(per).ok_or_else(|| bad_size(text)),
        _ => Err(bad_size(text)),
    }
}

fn bad_size(text: &str) -> Failure {
    Failure::usage(format!(
        "\"{text}\" is not a size: write 100MB, 2GiB, 512k or a number of bytes."
    ))
}

#[cfg(test)]
mod tests {
    use super::{parse_duration, parse_size};

    #[test]
    fn durations_are_read_with_their_unit_and_nonsense_is_refused() {
        assert_eq!(parse_duration("30d").unwrap(), 30 * 86_400);
        assert_eq!(parse_duration("12h").unwrap(), 12 * 3_600);
        assert_eq!(parse_duration("90m").unwrap(), 90 * 60);
        assert_eq!(parse_duration("2w").unwrap(), 14 * 86_400);
        assert_eq!(parse_duration("3600").unwrap(), 3_600);
        for wrong in ["", "0", "d", "3y", "-5d", "1.5h"] {
            assert!(parse_duration(wrong).is_err(), "{wrong} was accepted");
        }
    }

    #[test]
    fn sizes_are_read_in_decimal_and_binary_units() {
        assert_eq!(parse_size("100MB").unwrap(), 100_000_000);
        assert_eq!(parse_size("2GiB").unwrap(), 2 << 30);
        assert_eq!(parse_size("512k").unwrap(), 512_000);
        assert_eq!(parse_size("42").unwrap(), 42);
        for wrong in ["", "0", "MB", "5 parsecs", "1.5GB"] {
            assert!(parse_size(wrong).is_err(), "{wrong} was accepted");
        }
    }
}
