//! Connection tests against a real, signature-verifying S3 server on loopback.

#![allow(clippy::unwrap_used)] // a failed unwrap in a test is a failed test

use bucketdesk_s3_local::LocalS3;
use bucketdesk_storage::{
    Addressing, ConnectError, Connection, Signer, StorageOptions, s3_client, test_connection,
};
use std::time::Duration;

struct Fixture {
    s3: LocalS3,
    _dir: tempfile::TempDir,
}

async fn s3() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let s3 = LocalS3::start(
        dir.path(),
        "127.0.0.1:0".parse().unwrap(),
        "AKTEST12345",
        "secret-key-for-tests",
    )
    .await
    .unwrap();
    s3.create_bucket("photos").unwrap();
    Fixture { s3, _dir: dir }
}

fn connection(s3: &LocalS3) -> Connection {
    Connection {
        bucket: "photos".into(),
        region: "us-east-1".into(),
        endpoint: Some(s3.endpoint()),
        path_style: true,
        signer: Signer::key(s3.access_key.clone(), s3.secret_key.clone()),
    }
}

fn local() -> StorageOptions {
    StorageOptions {
        allow_private_endpoints: true,
        ..StorageOptions::default()
    }
}

#[tokio::test]
async fn the_right_key_connects_and_auto_addressing_picks_path_style_for_a_local_server() {
    let f = s3().await;
    assert_eq!(
        test_connection(&connection(&f.s3), Addressing::Auto, &local()).await,
        Ok(true)
    );
}

#[tokio::test]
async fn an_unknown_access_key_is_named_as_such() {
    let f = s3().await;
    let c = Connection {
        signer: Signer::key("AKNOBODY999", f.s3.secret_key.clone()),
        ..connection(&f.s3)
    };
    assert_eq!(
        test_connection(&c, Addressing::Auto, &local()).await,
        Err(ConnectError::UnknownAccessKey)
    );
}

#[tokio::test]
async fn a_wrong_secret_is_named_as_such() {
    let f = s3().await;
    let c = Connection {
        signer: Signer::key(f.s3.access_key.clone(), "not-the-secret"),
        ..connection(&f.s3)
    };
    assert_eq!(
        test_connection(&c, Addressing::PathStyle, &local()).await,
        Err(ConnectError::WrongSecret)
    );
}

#[tokio::test]
async fn a_missing_bucket_is_named() {
    let f = s3().await;
    let c = Connection {
        bucket: "no-such-bucket".into(),
        ..connection(&f.s3)
    };
    assert_eq!(
        test_connection(&c, Addressing::Auto, &local()).await,
        Err(ConnectError::NoSuchBucket("no-such-bucket".into()))
    );
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let f = s3().await;
    let c = Connection {
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        ..connection(&f.s3)
    };
    let err = test_connection(&c, Addressing::PathStyle, &local())
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Unreachable(_)), "{err:?}");
    let words = err.to_string();
    assert!(
        words.starts_with(
            "Cannot connect to the endpoint: connection refused: nothing is listening on that port."
        ),
        "{words}"
    );
    assert!(!words.contains(['{', '}']), "no Debug dump: {words}");
}

#[tokio::test]
async fn a_silent_endpoint_times_out_within_the_configured_time() {
    // accepts connections, never answers
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let f = s3().await;
    let c = Connection {
        endpoint: Some(format!("http://{addr}")),
        ..connection(&f.s3)
    };
    let options = StorageOptions {
        operation_timeout: Duration::from_secs(1),
        ..local()
    };
    let started = std::time::Instant::now();
    let err = test_connection(&c, Addressing::PathStyle, &options)
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Timeout(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "gave up in time, not after a hang"
    );
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_a_tls_error() {
    let f = s3().await;
    let c = Connection {
        endpoint: Some(f.s3.endpoint().replace("http://", "https://")),
        ..connection(&f.s3)
    };
    let err = test_connection(&c, Addressing::PathStyle, &local())
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Tls(_)), "{err:?}");
    let words = err.to_string();
    assert!(words.contains("the server does not speak TLS"), "{words}");
    assert!(!words.contains(['{', '}']), "no Debug dump: {words}");
}

#[tokio::test]
async fn a_name_resolving_to_a_private_address_is_refused_at_connect_time() {
    let f = s3().await;
    let port = f.s3.addr.port();
    // passes the static check (a host name), but resolves to 127.0.0.1
    let c = Connection {
        endpoint: Some(format!("http://localhost:{port}")),
        ..connection(&f.s3)
    };
    let guarded = StorageOptions::default();
    let err = test_connection(&c, Addressing::PathStyle, &guarded)
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::EndpointRefused(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS"),
        "{err}"
    );
}

#[test]
fn the_hosts_aws_credentials_are_never_used() {
    // run the check below in a child process whose environment names other
    // AWS credentials, an endpoint and a region
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "with_aws_environment_the_stored_key_alone_decides",
            "--ignored",
            "--nocapture",
        ])
        .env("AWS_ACCESS_KEY_ID", "AKHOSTENV000")
        .env("AWS_SECRET_ACCESS_KEY", "host-secret")
        .env("AWS_SESSION_TOKEN", "host-token")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
        .env("AWS_REGION", "eu-west-3")
        .env("AWS_PROFILE", "nonexistent")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
#[ignore = "run by the_hosts_aws_credentials_are_never_used, with AWS_* variables set"]
async fn with_aws_environment_the_stored_key_alone_decides() {
    assert_eq!(
        std::env::var("AWS_ACCESS_KEY_ID").as_deref(),
        Ok("AKHOSTENV000")
    );
    let f = s3().await;
    // the stored key works although the environment names another
    assert_eq!(
        test_connection(&connection(&f.s3), Addressing::PathStyle, &local()).await,
        Ok(true)
    );
    // and a stored wrong key fails: nothing falls back to the environment
    let c = Connection {
        signer: Signer::key(f.s3.access_key.clone(), "wrong"),
        ..connection(&f.s3)
    };
    assert_eq!(
        test_connection(&c, Addressing::PathStyle, &local()).await,
        Err(ConnectError::WrongSecret)
    );
}

#[tokio::test]
async fn a_client_reads_and_writes_objects() {
    let f = s3().await;
    let client = s3_client(&connection(&f.s3), &local());
    client
        .put_object()
        .bucket("photos")
        .key("a/b.txt")
        .body(b"hello".to_vec().into())
        .send()
        .await
        .unwrap();
    let listed = client
        .list_objects_v2()
        .bucket("photos")
        .prefix("a/")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.contents().len(), 1);
    assert_eq!(listed.contents()[0].key(), Some("a/b.txt"));
}
