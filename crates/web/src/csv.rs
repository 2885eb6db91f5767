//! CSV cells for exports (the audit log, batches of share links).

/// A CSV cell: quoted, and never read as a formula by a spreadsheet.
pub fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

/// One CSV line (with its newline) from its cells.
pub fn csv_line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = cells
        .iter()
        .map(|v| csv_cell(v.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// A workspace's audit events as CSV, one row per event, with a header.
pub fn audit_log(events: Vec<bucketdesk_db::audit::Listed>) -> String {
    let mut csv = String::from("time_utc,person,action,bucket,about,ip,user_agent,details\n");
    for e in events {
        let row = [
            crate::pages::utc_seconds(e.occurred_at),
            e.actor_email.unwrap_or_default(),
            e.action.clone(),
            e.bucket_name.unwrap_or_default(),
            crate::actions::summary(&e.details),
            e.ip.unwrap_or_default(),
            e.user_agent.unwrap_or_default(),
            e.details.to_string(),
        ];
        csv.push_str(&csv_line(&row));
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(csv_cell("plain"), "\"plain\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "\"'+1\"");
        assert_eq!(csv_line(&["a", "b"]), "\"a\",\"b\"\n");
    }
}
