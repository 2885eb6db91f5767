//! Logging: `tracing` to standard error, filtered by `RUST_LOG` (default
//! `info`), as text or JSON. Nothing logged may contain a login code, session
//! id, token, secret key or signature (S13): log ids and outcomes, not values.
//!
//! Whatever text reaches a log line (an address, a storage error that
//! repeats a key) cannot forge lines or drive a terminal: in the text format
//! every control character but the line's own end is written escaped
//! (`\n`, `\r`, `\x1b`), and the JSON format escapes them by itself.

use std::io::Write;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx::postgres::notice=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().with_writer(std::io::stderr).init();
    } else {
        builder
            .with_ansi(false)
            .with_writer(Escaping(std::io::stderr))
            .init();
    }
}

/// Makes writers that escape control characters in each formatted line.
#[derive(Clone)]
pub struct Escaping<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Escaping<M> {
    type Writer = EscapingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        EscapingWriter(self.0.make_writer())
    }
}

/// Writes one formatted event (tracing writes each in one call) with its
/// control characters escaped, but for the newline that ends it.
pub struct EscapingWriter<W>(W);

impl<W: Write> Write for EscapingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let (body, end) = match text.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (text.as_ref(), ""),
        };
        let mut escaped = String::with_capacity(body.len() + 1);
        for c in body.chars() {
            match c {
                '\n' => escaped.push_str("\\n"),
                '\r' => escaped.push_str("\\r"),
                '\t' => escaped.push('\t'),
                c if c.is_control() => escaped.push_str(&format!("\\x{:02x}", c as u32)),
                c => escaped.push(c),
            }
        }
        escaped.push_str(end);
        self.0.write_all(escaped.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Buffer {
            self.clone()
        }
    }

    #[test]
    fn user_text_in_a_log_line_cannot_forge_lines_or_drive_the_terminal() {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(Escaping(buffer.clone()))
            .finish();
        let forged =
            "bob@example.com\r\n2026-11-30T00:00:00Z  INFO admin signed in\u{1b}[2J\u{1b}[31m";
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(email = %forged, "refused");
            tracing::info!("next line");
        });
        let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(lines[0].contains(r"bob@example.com\r\n2026-11-30"), "{out}");
        assert!(lines[0].contains(r"\x1b[2J\x1b[31m"), "{out}");
        assert!(!out.contains('\r') && !out.contains('\u{1b}'), "{out:?}");
        assert!(lines[1].contains("next line"));
    }
}
