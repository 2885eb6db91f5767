//! Short text people type into filters and search fields, checked before it
//! reaches S3 or the database (S19, R7): no control characters (a NUL byte
//! is refused by Postgres, CR/LF split log lines) and no bidirectional
//! overrides (they make a name read differently from what it is).

/// `n` and the noun in the right number: "1 download", "3 downloads".
pub fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Whether `c` reorders how text around it is shown: the bidi embeddings,
/// overrides and isolates, and the invisible direction marks.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Checks one typed field: at most `max_chars` characters, no control or
/// bidi characters. The message names the field (`label`, e.g. "The person filter").
pub fn check_typed(label: &str, value: &str, max_chars: usize) -> Result<(), String> {
    if value.chars().count() > max_chars {
        return Err(format!("{label} is at most {max_chars} characters long."));
    }
    if value.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(format!(
            "{label} cannot contain control characters (such as a line break or a NUL byte) or text-direction overrides."
        ));
    }
    Ok(())
}

/// A calendar date typed as `2026-11-22`, between year 1 and 9999.
pub fn parse_date(label: &str, value: &str) -> Result<time::Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(value.trim(), format) {
        Ok(date) if (1..=9999).contains(&date.year()) => Ok(date),
        Ok(_) => Err(format!(
            "{label} must be between 0001-01-01 and 9999-12-31."
        )),
        Err(_) => Err(format!("{label} should look like 2026-11-22.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_refuses_control_characters_and_direction_overrides() {
        assert!(check_typed("The filter", "alice@example.com", 100).is_ok());
        assert!(check_typed("The filter", "ünïcødé ok", 100).is_ok());
        for bad in [
            "a\0b",
            "a\r\nb",
            "\u{1b}[31m",
            "invoice\u{202E}fdp.exe",
            "x\u{2066}y",
        ] {
            let err = check_typed("The filter", bad, 100).unwrap_err();
            assert!(err.starts_with("The filter"), "{err}");
        }
        assert!(check_typed("The filter", &"x".repeat(101), 100).is_err());
    }

    #[test]
    fn dates_outside_years_1_to_9999_are_refused_by_name() {
        assert_eq!(
            parse_date("The from date", "2026-11-22").unwrap(),
            time::macros::date!(2026 - 11 - 22)
        );
        assert!(parse_date("The until date", "9999-12-31").is_ok());
        assert!(
            parse_date("The until date", "0000-01-01")
                .unwrap_err()
                .contains("between")
        );
        assert!(parse_date("The until date", "-0001-01-01").is_err());
        assert!(parse_date("The until date", "10000-01-01").is_err());
        assert!(
            parse_date("The until date", "2026-02-30")
                .unwrap_err()
                .starts_with("The until date")
        );
    }
}
