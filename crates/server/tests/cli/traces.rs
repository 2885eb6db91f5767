//! Traces sent to an OpenTelemetry collector (OTLP over HTTP, protobuf):
//! here a listener that decodes what arrives with the protocol's own types.

use super::*;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use prost::Message;
use std::net::TcpListener;

/// Receives OTLP/HTTP posts on a thread: their paths and decoded bodies.
struct Collector {
    port: u16,
    received: Arc<Mutex<Vec<(String, ExportTraceServiceRequest)>>>,
}

impl Collector {
    fn start() -> Collector {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let keep = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let keep = keep.clone();
                std::thread::spawn(move || serve(stream, &keep));
            }
        });
        Collector { port, received }
    }
}

/// Answers each request of one connection with 200, keeping what it decodes.
fn serve(mut stream: TcpStream, keep: &Mutex<Vec<(String, ExportTraceServiceRequest)>>) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_string();
        let path = head.split(' ').nth(1).unwrap_or_default().to_owned();
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or(0);
        while buffer.len() < end + 4 + length {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buffer.drain(..end + 4 + length).skip(end + 4).collect();
        if let Ok(request) = ExportTraceServiceRequest::decode(&body[..]) {
            keep.lock().unwrap().push((path, request));
        }
        let answer =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
        if stream.write_all(answer).is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn with_an_otlp_address_each_request_is_a_span_with_its_id_route_status_and_user() {
    let collector = Collector::start();
    let dir = tempfile::tempdir().unwrap();
    let name = empty_database().await;
    let sink = MailSink::start().await;
    let endpoint = format!("http://127.0.0.1:{}", collector.port);
    let mut server = Server::start(
        &dir,
        &[
            ("DATABASE_URL", &database_url(&name)),
            ("SMTP_URL", &sink.url()),
            ("MAIL_FROM", "files@example.com"),
            ("BUCKETDESK_SIGNUP", "open"),
            ("BUCKETDESK_TRUSTED_PROXIES", "127.0.0.1/32"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ],
    );
    let alice = signed_in(&server, &sink, "alice@example.com").await;
    let home = alice
        .client
        .get(format!("{}/", server.url()))
        .header("x-request-id", "traced-request-1")
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
    // the last batch goes when the server stops
    server.terminate();
    assert_eq!(server.wait_for_exit(), 0, "{}", server.logs());

    let received = collector.received.lock().unwrap();
    assert!(!received.is_empty(), "no traces arrived: {}", server.logs());
    assert!(received.iter().all(|(path, _)| path == "/v1/traces"));
    let service = received[0].1.resource_spans[0]
        .resource
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .find(|a| a.key == "service.name")
        .and_then(|a| a.value.as_ref()?.value.clone());
    assert_eq!(service, Some(Value::StringValue("bucketdesk".into())));
    let spans: Vec<_> = received
        .iter()
        .flat_map(|(_, r)| &r.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
        .collect();
    let attribute = |span: &opentelemetry_proto::tonic::trace::v1::Span, key: &str| {
        span.attributes
            .iter()
            .find(|a| a.key == key)
            .and_then(|a| a.value.as_ref()?.value.clone())
    };
    let traced = spans
        .iter()
        .find(|span| attribute(span, "id") == Some(Value::StringValue("traced-request-1".into())))
        .unwrap_or_else(|| panic!("no span of the request among {spans:#?}"));
    assert_eq!(traced.name, "request");
    assert_eq!(
        attribute(traced, "route"),
        Some(Value::StringValue("/".into()))
    );
    assert_eq!(
        attribute(traced, "method"),
        Some(Value::StringValue("GET".into()))
    );
    assert_eq!(attribute(traced, "status"), Some(Value::IntValue(200)));
    assert!(
        matches!(attribute(traced, "user.id"), Some(Value::StringValue(id)) if id.len() == 36),
        "{traced:#?}"
    );
    // and the sign-in before it, as its own spans
    assert!(
        spans
            .iter()
            .any(|span| attribute(span, "route") == Some(Value::StringValue("/login/code".into()))),
        "{spans:#?}"
    );
}
