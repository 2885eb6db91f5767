//! What the server counts and times, for Prometheus.
//!
//! One set of metrics per process ([`metrics`]), recorded where things
//! happen (the request log, the S3 clients, the database, the core's
//! operations) and encoded by [`Metrics::encode`] when `/metrics` is
//! scraped on `BUCKETDESK_METRICS_BIND`. Recording is a few atomic adds;
//! nothing here does I/O.
//!
//! Labels only ever hold values from small fixed sets (route patterns,
//! S3 operation names, methods, outcomes), never a path, key, email or id,
//! so a series count stays bounded however the server is used.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use std::sync::LazyLock;
use std::time::Duration;

/// The content type of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &METRICS
}

type Timings<L> = Family<L, Histogram, fn() -> Histogram>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct S3Labels {
    operation: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DirectionLabel {
    direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VisitLabels {
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignInLabels {
    method: &'static str,
    outcome: &'static str,
}

/// How an S3 call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S3Outcome {
    /// A 2xx or 3xx answer.
    Ok,
    /// S3 answered 4xx (no such key, access denied, a precondition).
    ClientError,
    /// S3 answered 5xx.
    ServerError,
    /// No answer: a timeout, a refused or broken connection.
    NoAnswer,
}

impl S3Outcome {
    fn label(self) -> &'static str {
        match self {
            S3Outcome::Ok => "ok",
            S3Outcome::ClientError => "client_error",
            S3Outcome::ServerError => "server_error",
            S3Outcome::NoAnswer => "no_answer",
        }
    }
}

/// Which way bytes went through the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From a person or a link's visitor, through the server, to S3.
    Upload,
    /// From S3, through the server, to a person or a link's visitor.
    Download,
}

/// What kind of link was handed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    /// A revocable, counted link to files or a folder.
    Download,
    /// A revocable link that lets visitors upload into a folder.
    Upload,
    /// A presigned S3 URL (15 minutes or so, not revocable).
    Presigned,
}

impl LinkKind {
    fn label(self) -> &'static str {
        match self {
            LinkKind::Download => "download",
            LinkKind::Upload => "upload",
            LinkKind::Presigned => "presigned",
        }
    }
}

/// How a sign-in ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInOutcome {
    /// A session was made.
    SignedIn,
    /// The first step held; a second factor is asked for.
    SecondFactorAsked,
    /// Refused: a wrong code, an unknown or refused account.
    Refused,
}

impl SignInOutcome {
    fn label(self) -> &'static str {
        match self {
            SignInOutcome::SignedIn => "signed_in",
            SignInOutcome::SecondFactorAsked => "second_factor_asked",
            SignInOutcome::Refused => "refused",
        }
    }
}

/// Every metric the server keeps, registered under `bucketdesk_`.
pub struct Metrics {
    registry: Registry,
    requests: Timings<RequestLabels>,
    s3_calls: Timings<S3Labels>,
    db_queries: Histogram,
    db_connections: Family<StateLabel, Gauge>,
    db_connections_max: Gauge,
    transferred: Family<DirectionLabel, Counter>,
    links_issued: Family<KindLabel, Counter>,
    link_visits: Family<VisitLabels, Counter>,
    sign_ins: Family<SignInLabels, Counter>,
    audit_queue: Gauge,
}

/// 1 ms to about 33 s, doubling.
fn request_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// 0.1 ms to about 3.3 s, doubling.
fn query_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("bucketdesk");
        let requests: Timings<RequestLabels> = Family::new_with_constructor(request_buckets);
        registry.register_with_unit(
            "http_request_duration",
            "HTTP requests answered, by route pattern, method and status, and how long they took",
            Unit::Seconds,
            requests.clone(),
        );
        let s3_calls: Timings<S3Labels> = Family::new_with_constructor(request_buckets);
        registry.register_with_unit(
            "s3_call_duration",
            "S3 calls by operation and outcome (retries included), and how long they took",
            Unit::Seconds,
            s3_calls.clone(),
        );
        let db_queries = query_buckets();
        registry.register_with_unit(
            "db_query_duration",
            "Database statements run, and how long each took",
            Unit::Seconds,
            db_queries.clone(),
        );
        let db_connections = Family::<StateLabel, Gauge>::default();
        registry.register(
            "db_connections",
            "Database connections of the pool, by state (in_use, idle)",
            db_connections.clone(),
        );
        let db_connections_max = Gauge::default();
        registry.register(
            "db_connections_max",
            "The most database connections the pool opens (BUCKETDESK_DB_MAX_CONNECTIONS)",
            db_connections_max.clone(),
        );
        let transferred = Family::<DirectionLabel, Counter>::default();
        registry.register_with_unit(
            "transferred",
            "Bytes of files that went through the server, by direction (upload, download)",
            Unit::Bytes,
            transferred.clone(),
        );
        let links_issued = Family::<KindLabel, Counter>::default();
        registry.register(
            "links_issued",
            "Links handed out, by kind (download, upload: revocable links; presigned)",
            links_issued.clone(),
        );
        let link_visits = Family::<VisitLabels, Counter>::default();
        registry.register(
            "link_visits",
            "Downloads and uploads through revocable links, by kind and outcome (served, refused)",
            link_visits.clone(),
        );
        let sign_ins = Family::<SignInLabels, Counter>::default();
        registry.register(
            "sign_ins",
            "Sign-in attempts by method (code, github, sso, passkey, second_factor) and outcome",
            sign_ins.clone(),
        );
        let audit_queue = Gauge::default();
        registry.register(
            "audit_queue_depth",
            "Audit events waiting to be written",
            audit_queue.clone(),
        );
        Metrics {
            registry,
            requests,
            s3_calls,
            db_queries,
            db_connections,
            db_connections_max,
            transferred,
            links_issued,
            link_visits,
            sign_ins,
            audit_queue,
        }
    }

    /// One answered request. `route` is the route pattern (`/s/{token}`),
    /// never the path.
    pub fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        // a client may send any method name: only the standard ones are labels
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
            _ => "other",
        };
        let labels = RequestLabels {
            method: method.to_owned(),
            route: route.to_owned(),
            status,
        };
        self.requests
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// One S3 call, named as S3 names the operation (`ListObjectsV2`).
    pub fn s3_call(&self, operation: &str, outcome: S3Outcome, took: Duration) {
        let labels = S3Labels {
            operation: operation.to_owned(),
            outcome: outcome.label(),
        };
        self.s3_calls
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// One database statement.
    pub fn db_query(&self, took: Duration) {
        self.db_queries.observe(took.as_secs_f64());
    }

    /// The pool as it is now (set when scraped).
    pub fn db_pool(&self, open: u32, idle: usize, max: u32) {
        let idle = i64::try_from(idle).unwrap_or(i64::MAX);
        let open = i64::from(open);
        let in_use = open.saturating_sub(idle).max(0);
        self.db_connections
            .get_or_create(&StateLabel { state: "in_use" })
            .set(in_use);
        self.db_connections
            .get_or_create(&StateLabel { state: "idle" })
            .set(idle);
        self.db_connections_max.set(i64::from(max));
    }

    /// Bytes of a file that went through the server.
    pub fn transferred(&self, direction: Direction, bytes: u64) {
        let direction = match direction {
            Direction::Upload => "upload",
            Direction::Download => "download",
        };
        self.transferred
            .get_or_create(&DirectionLabel { direction })
            .inc_by(bytes);
    }

    /// `count` links handed out.
    pub fn links_issued(&self, kind: LinkKind, count: u64) {
        self.links_issued
            .get_or_create(&KindLabel { kind: kind.label() })
            .inc_by(count);
    }

    /// One download (or upload) through a revocable link, served or
    /// refused because the link stopped working.
    pub fn link_visit(&self, kind: LinkKind, served: bool) {
        let labels = VisitLabels {
            kind: kind.label(),
            outcome: if served { "served" } else { "refused" },
        };
        self.link_visits.get_or_create(&labels).inc();
    }

    /// One sign-in attempt.
    pub fn sign_in(&self, method: &'static str, outcome: SignInOutcome) {
        let labels = SignInLabels {
            method,
            outcome: outcome.label(),
        };
        self.sign_ins.get_or_create(&labels).inc();
    }

    /// Audit events waiting to be written (set when scraped).
    pub fn audit_queue_depth(&self, depth: usize) {
        self.audit_queue
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }

    /// Everything, in the OpenMetrics text format ([`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // writing to a String cannot fail
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_values_come_out_under_their_names_and_labels() {
        let metrics = Metrics::new();
        metrics.request("GET", "/s/{token}", 200, Duration::from_millis(3));
        metrics.request("GET", "/s/{token}", 200, Duration::from_millis(5));
        // made-up methods share one label: no client can grow the series
        metrics.request("FOO1", "(no route)", 405, Duration::ZERO);
        metrics.request("FOO2", "(no route)", 405, Duration::ZERO);
        metrics.s3_call(
            "ListObjectsV2",
            S3Outcome::ClientError,
            Duration::from_millis(1),
        );
        metrics.transferred(Direction::Upload, 1000);
        metrics.transferred(Direction::Upload, 24);
        metrics.links_issued(LinkKind::Presigned, 3);
        metrics.link_visit(LinkKind::Download, false);
        metrics.sign_in("code", SignInOutcome::SignedIn);
        metrics.db_pool(5, 2, 20);
        metrics.audit_queue_depth(7);
        let text = metrics.encode();
        for line in [
            r#"bucketdesk_http_request_duration_seconds_count{method="GET",route="/s/{token}",status="200"} 2"#,
            r#"bucketdesk_http_request_duration_seconds_count{method="other",route="(no route)",status="405"} 2"#,
            r#"bucketdesk_s3_call_duration_seconds_count{operation="ListObjectsV2",outcome="client_error"} 1"#,
            r#"bucketdesk_transferred_bytes_total{direction="upload"} 1024"#,
            r#"bucketdesk_links_issued_total{kind="presigned"} 3"#,
            r#"bucketdesk_link_visits_total{kind="download",outcome="refused"} 1"#,
            r#"bucketdesk_sign_ins_total{method="code",outcome="signed_in"} 1"#,
            r#"bucketdesk_db_connections{state="in_use"} 3"#,
            r#"bucketdesk_db_connections{state="idle"} 2"#,
            "bucketdesk_db_connections_max 20",
            "bucketdesk_audit_queue_depth 7",
            "# EOF",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line} in\n{text}");
        }
    }

    #[test]
    fn the_grafana_dashboard_asks_only_for_metrics_that_exist() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../deploy/grafana/bucketdesk.json"
        );
        let dashboard: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let metrics = Metrics::new();
        metrics.request("GET", "/", 200, Duration::ZERO);
        metrics.s3_call("GetObject", S3Outcome::Ok, Duration::ZERO);
        metrics.db_query(Duration::ZERO);
        metrics.db_pool(1, 1, 1);
        metrics.transferred(Direction::Download, 1);
        metrics.links_issued(LinkKind::Download, 1);
        metrics.link_visit(LinkKind::Download, true);
        metrics.sign_in("code", SignInOutcome::SignedIn);
        let text = metrics.encode();
        let names: std::collections::BTreeSet<&str> = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.split(['{', ' ']).next())
            .collect();
        let panels = dashboard["panels"].as_array().unwrap();
        assert!(panels.len() >= 10);
        let mut asked = 0;
        for target in panels.iter().flat_map(|p| p["targets"].as_array().unwrap()) {
            let expr = target["expr"].as_str().unwrap();
            for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if word.starts_with("bucketdesk_") {
                    asked += 1;
                    assert!(
                        names.contains(word),
                        "{word} (in {expr}) is not one of {names:?}"
                    );
                }
            }
        }
        assert!(asked >= 13, "{asked}");
        // and every metric has a panel
        for name in &names {
            let family = name
                .trim_end_matches("_bucket")
                .trim_end_matches("_count")
                .trim_end_matches("_sum")
                .trim_end_matches("_created");
            assert!(
                dashboard.to_string().contains(family),
                "no panel shows {family}"
            );
        }
    }
}
