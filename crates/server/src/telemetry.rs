//! Logging: `tracing` to standard error, filtered by `RUST_LOG` (default
//! `info`), as text or JSON. Nothing logged may contain a login code, session
//! id, token, secret key or signature (S13): log ids and outcomes, not values.
//!
//! Whatever text reaches a log line (an address, a storage error that
//! repeats a key) cannot forge lines or drive a terminal: in the text format
//! every control character but the line's own end is written escaped
//! (`\n`, `\r`, `\x1b`), and the JSON format escapes them by itself.
//!
//! With metrics on, a second layer times every database statement from the
//! events sqlx gives for them (`bucketdesk_db_query_duration_seconds`),
//! whatever `RUST_LOG` lets through to the log.
//!
//! With an OTLP address (`OTEL_EXPORTER_OTLP_ENDPOINT`), a third layer sends
//! the spans (each request's, with its id, route, method, status and user)
//! and their INFO events to an OpenTelemetry collector, in batches, from a
//! thread of its own; [`Telemetry::shutdown`] sends what is left.

use opentelemetry::trace::TracerProvider;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::io::Write;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// What must be flushed before the process exits.
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans still waiting (within a few seconds).
    pub fn shutdown(self) {
        if let Some(traces) = self.traces
            && let Err(error) = traces.shutdown_with_timeout(std::time::Duration::from_secs(5))
        {
            eprintln!("could not send the last traces: {error}");
        }
    }
}

/// A tracer that sends spans to `endpoint` (the full `/v1/traces` address).
fn otlp_traces(endpoint: &url::Url) -> anyhow::Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(endpoint.as_str())
        .build()?;
    let mut resource = Resource::builder();
    // OTEL_SERVICE_NAME, when set, names it instead
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name("bucketdesk");
    }
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build())
}

pub fn init(json: bool, time_queries: bool, otlp: Option<&url::Url>) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx::postgres::notice=warn"));
    let log = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(Escaping(std::io::stderr))
            .boxed()
    };
    let queries = time_queries
        .then(|| QueryTimer.with_filter(Targets::new().with_target("sqlx::query", Level::TRACE)));
    let traces = otlp.map(otlp_traces).transpose()?;
    let exported = traces.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("bucketdesk"))
            .with_filter(LevelFilter::INFO)
    });
    tracing_subscriber::registry()
        .with(log.with_filter(filter))
        .with(queries)
        .with(exported)
        .init();
    Ok(Telemetry { traces })
}

/// Observes the `elapsed_secs` of each statement sqlx reports.
struct QueryTimer;

impl<S: Subscriber> Layer<S> for QueryTimer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        struct Elapsed(Option<f64>);
        impl Visit for Elapsed {
            fn record_f64(&mut self, field: &Field, value: f64) {
                if field.name() == "elapsed_secs" {
                    self.0 = Some(value);
                }
            }
            fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
        }
        let mut elapsed = Elapsed(None);
        event.record(&mut elapsed);
        if let Some(seconds) = elapsed.0.filter(|s| s.is_finite() && *s >= 0.0) {
            bucketdesk_metrics::metrics().db_query(std::time::Duration::from_secs_f64(seconds));
        }
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
