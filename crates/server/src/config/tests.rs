//! Configuration from the environment: each variable's checks and messages.

use super::*;
use std::collections::HashMap;

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_source(|name| map.get(name).cloned())
}

#[test]
fn defaults_need_nothing_but_give_a_local_setup() {
    let c = config(&[]).unwrap();
    assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(c.public_url.as_str(), "http://127.0.0.1:8080/");
    assert_eq!(c.signup, SignupPolicy::Invite);
    assert_eq!(c.workspace_creators, WorkspaceCreators::Everyone);
    assert_eq!(c.key_file, PathBuf::from("data/instance-key.pem"));
    assert_eq!(c.session_idle, Duration::from_secs(30 * 60));
    assert_eq!(
        c.shutdown_grace,
        Duration::from_secs(8),
        "under Docker's 10 s"
    );
    assert!(c.smtp_url.is_none());
    assert!(c.require_database_url().is_err());
    assert_eq!(c.metrics_bind, None, "no metrics unless asked for");
}

#[test]
fn traces_go_to_the_otlp_address_when_one_is_set() {
    assert_eq!(config(&[]).unwrap().otlp_traces_endpoint, None);
    let base = config(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")]).unwrap();
    assert_eq!(
        base.otlp_traces_endpoint.unwrap().as_str(),
        "http://collector:4318/v1/traces"
    );
    let own = config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "https://traces.example.com/otlp/v1/traces",
        ),
    ])
    .unwrap();
    assert_eq!(
        own.otlp_traces_endpoint.unwrap().as_str(),
        "https://traces.example.com/otlp/v1/traces"
    );
}

#[test]
fn metrics_are_served_on_an_address_of_their_own() {
    let c = config(&[("BUCKETDESK_METRICS_BIND", "127.0.0.1:9090")]).unwrap();
    assert_eq!(c.metrics_bind, Some("127.0.0.1:9090".parse().unwrap()));
    let shared = config(&[
        ("BUCKETDESK_BIND", "0.0.0.0:8080"),
        ("BUCKETDESK_METRICS_BIND", "0.0.0.0:8080"),
    ])
    .unwrap_err()
    .to_string();
    assert!(shared.contains("BUCKETDESK_METRICS_BIND"), "{shared}");
    assert!(shared.contains("an address of their own"), "{shared}");
}

#[test]
fn a_wildcard_bind_gives_a_localhost_public_url() {
    let c = config(&[("BUCKETDESK_BIND", "0.0.0.0:9000")]).unwrap();
    assert_eq!(c.public_url.as_str(), "http://localhost:9000/");
}

#[test]
fn each_malformed_value_names_its_variable() {
    for (var, value) in [
        ("DATABASE_URL", "mysql://x"),
        ("BUCKETDESK_BIND", "localhost"),
        ("BUCKETDESK_METRICS_BIND", "9090"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "ftp://collector/v1/traces",
        ),
        ("BUCKETDESK_PUBLIC_URL", "files.example.com"),
        ("BUCKETDESK_PUBLIC_URL", "ftp://files.example.com"),
        ("BUCKETDESK_PUBLIC_URL", "https://example.com/files"),
        ("SMTP_URL", "http://mail"),
        ("MAIL_FROM", "not an address"),
        ("BUCKETDESK_SIGNUP", "closed"),
        ("BUCKETDESK_WORKSPACE_CREATORS", "owners"),
        ("BUCKETDESK_TRUSTED_PROXIES", "10.0.0.0/8, nonsense"),
        ("BUCKETDESK_SESSION_IDLE_MINUTES", "0"),
        ("BUCKETDESK_REQUEST_TIMEOUT_SECS", "abc"),
        ("BUCKETDESK_LOG_FORMAT", "xml"),
        ("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS", "maybe"),
        ("BUCKETDESK_HSTS_INCLUDE_SUBDOMAINS", "sometimes"),
        ("BUCKETDESK_S3_TIMEOUT_SECS", "0"),
        ("BUCKETDESK_DEMO_OWNER", "not-an-email"),
        ("BUCKETDESK_DEMO_S3_BIND", "somewhere"),
        ("BUCKETDESK_LINK_MAX_DAYS", "0"),
        ("BUCKETDESK_UPLOAD_BUFFER_MB", "16"),
        ("BUCKETDESK_HEADER_TIMEOUT_SECS", "0"),
        ("BUCKETDESK_MAX_CONNECTIONS_PER_IP", "none"),
        ("BUCKETDESK_SHUTDOWN_GRACE_SECS", "-1"),
        ("BUCKETDESK_AUDIT_RETENTION_DAYS", "0"),
        ("BUCKETDESK_AUDIT_RETENTION_DAYS", "a year"),
        ("GITHUB_URL", "github.example.com"),
        ("GITHUB_API_URL", "ftp://api.github.example.com"),
    ] {
        let mut vars = vec![(var, value)];
        if var == "SMTP_URL" {
            vars.push(("MAIL_FROM", "a@example.com"));
        }
        if var == "GITHUB_URL" || var == "GITHUB_API_URL" {
            vars.push(("GITHUB_CLIENT_ID", "id"));
            vars.push(("GITHUB_CLIENT_SECRET", "secret"));
        }
        let err = config(&vars).unwrap_err();
        assert_eq!(err.var, var, "{value}: {err}");
        assert!(!err.to_string().contains('\n'), "one line: {err}");
    }
}

#[test]
fn github_sign_in_is_on_with_an_id_and_a_secret_and_defaults_to_github_com() {
    assert!(config(&[]).unwrap().github.is_none());
    // one without the other names the missing one
    let err = config(&[("GITHUB_CLIENT_SECRET", "s")]).unwrap_err();
    assert_eq!(err.var, "GITHUB_CLIENT_ID");
    let err = config(&[("GITHUB_CLIENT_ID", "Iv1.abc")]).unwrap_err();
    assert_eq!(err.var, "GITHUB_CLIENT_SECRET");
    let c = config(&[
        ("GITHUB_CLIENT_ID", "Iv1.abc"),
        ("GITHUB_CLIENT_SECRET", "gh-secret-xyz"),
    ])
    .unwrap();
    let github = c.web_settings().github.unwrap();
    assert_eq!(github.web_url.as_str(), "https://github.com/");
    assert_eq!(github.api_url.as_str(), "https://api.github.com/");
    assert!(
        !format!("{c:?}").contains("gh-secret-xyz"),
        "the secret stays out of Debug"
    );
    let enterprise = config(&[
        ("GITHUB_CLIENT_ID", "Iv1.abc"),
        ("GITHUB_CLIENT_SECRET", "s"),
        ("GITHUB_URL", "https://github.example.com"),
        ("GITHUB_API_URL", "https://github.example.com/api/v3"),
    ])
    .unwrap();
    let github = enterprise.github.unwrap();
    assert_eq!(github.api_url.as_str(), "https://github.example.com/api/v3");
    // with only GITHUB_URL set, the API is the server's own, never api.github.com
    let only_web = config(&[
        ("GITHUB_CLIENT_ID", "Iv1.abc"),
        ("GITHUB_CLIENT_SECRET", "s"),
        ("GITHUB_URL", "https://ghes.example.com/"),
    ])
    .unwrap();
    assert_eq!(
        only_web.github.unwrap().api_url.as_str(),
        "https://ghes.example.com/api/v3"
    );
}

#[test]
fn smtp_needs_a_sender() {
    let err = config(&[("SMTP_URL", "smtp://127.0.0.1:2525")]).unwrap_err();
    assert_eq!(err.var, "MAIL_FROM");
}

#[test]
fn https_public_url_and_proxies_parse() {
    let c = config(&[
        ("BUCKETDESK_PUBLIC_URL", "https://files.example.com"),
        ("BUCKETDESK_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"),
        ("BUCKETDESK_SIGNUP", "open"),
    ])
    .unwrap();
    assert!(c.web_settings().secure_cookies());
    assert_eq!(c.trusted_proxies.len(), 2);
    assert_eq!(c.signup, SignupPolicy::Open);
}

#[test]
fn debug_output_hides_secrets() {
    let c = config(&[
        ("DATABASE_URL", "postgres://u:hunter2@db/x"),
        ("SMTP_URL", "smtp://u:swordfish@mail:587"),
        ("MAIL_FROM", "a@example.com"),
    ])
    .unwrap();
    let debug = format!("{c:?}");
    assert!(
        !debug.contains("hunter2") && !debug.contains("swordfish"),
        "{debug}"
    );
}

#[test]
fn single_sign_on_providers_are_named_in_a_list_and_each_needs_its_issuer_and_client() {
    assert!(config(&[]).unwrap().sso.is_empty());
    let c = config(&[
        ("BUCKETDESK_SSO_PROVIDERS", "Keycloak, google"),
        (
            "BUCKETDESK_SSO_KEYCLOAK_ISSUER",
            "https://sso.example.com/realms/staff",
        ),
        ("BUCKETDESK_SSO_KEYCLOAK_CLIENT_ID", "bucketdesk"),
        ("BUCKETDESK_SSO_KEYCLOAK_CLIENT_SECRET", "kc-secret-xyz"),
        ("BUCKETDESK_SSO_KEYCLOAK_NAME", "Staff account"),
        (
            "BUCKETDESK_SSO_KEYCLOAK_ALLOWED_DOMAINS",
            "Example.com, @corp.example",
        ),
        (
            "BUCKETDESK_SSO_KEYCLOAK_ADMIN_CLAIM",
            "groups=bucketdesk-admins",
        ),
        ("BUCKETDESK_SSO_GOOGLE_PRESET", "google"),
        (
            "BUCKETDESK_SSO_GOOGLE_CLIENT_ID",
            "123.apps.googleusercontent.com",
        ),
        ("BUCKETDESK_SSO_GOOGLE_CLIENT_SECRET", "g-secret"),
    ])
    .unwrap();
    let sso = c.web_settings().sso;
    assert_eq!(sso.len(), 2);
    assert_eq!(sso[0].name, "keycloak");
    assert_eq!(sso[0].display_name, "Staff account");
    assert_eq!(sso[0].allowed_domains, vec!["example.com", "corp.example"]);
    assert_eq!(
        sso[0].admin_claim,
        Some(("groups".to_owned(), "bucketdesk-admins".to_owned()))
    );
    assert_eq!(sso[0].scopes, vec!["email", "profile"]);
    assert_eq!(
        sso[1].issuer, "https://accounts.google.com",
        "as written: issuers compare exactly"
    );
    assert_eq!(sso[1].display_name, "Google");
    assert!(
        !format!("{c:?}").contains("kc-secret-xyz"),
        "the secret stays out of Debug"
    );

    for (vars, var) in [
        (
            vec![("BUCKETDESK_SSO_PROVIDERS", "okta")],
            "BUCKETDESK_SSO_OKTA_ISSUER",
        ),
        (
            vec![
                ("BUCKETDESK_SSO_PROVIDERS", "okta"),
                ("BUCKETDESK_SSO_OKTA_ISSUER", "https://example.okta.com"),
                ("BUCKETDESK_SSO_OKTA_CLIENT_ID", "id"),
            ],
            "BUCKETDESK_SSO_OKTA_CLIENT_SECRET",
        ),
        (
            vec![
                ("BUCKETDESK_SSO_PROVIDERS", "ms"),
                ("BUCKETDESK_SSO_MS_PRESET", "microsoft"),
            ],
            "BUCKETDESK_SSO_MS_ISSUER",
        ),
        (
            vec![("BUCKETDESK_SSO_PROVIDERS", "a-b")],
            "BUCKETDESK_SSO_PROVIDERS",
        ),
        (vec![("BUCKETDESK_SSO_ONLY", "true")], "BUCKETDESK_SSO_ONLY"),
    ] {
        let err = config(&vars).unwrap_err();
        assert_eq!(err.var, var, "{err}");
    }
    let err = config(&[
        ("BUCKETDESK_SSO_PROVIDERS", "ms"),
        ("BUCKETDESK_SSO_MS_PRESET", "microsoft"),
    ])
    .unwrap_err();
    assert!(err.problem.contains("login.microsoftonline.com"), "{err}");
}

#[test]
fn the_instance_wide_second_factor_rule_is_off_unless_asked_for() {
    assert!(!config(&[]).unwrap().require_second_factor);
    let on = config(&[("BUCKETDESK_REQUIRE_SECOND_FACTOR", "true")]).unwrap();
    assert!(on.require_second_factor);
    assert!(on.web_settings().require_second_factor);
    let err = config(&[("BUCKETDESK_REQUIRE_SECOND_FACTOR", "sometimes")]).unwrap_err();
    assert_eq!(err.var, "BUCKETDESK_REQUIRE_SECOND_FACTOR");
}

#[test]
fn an_aws_identity_is_off_unless_asked_for_and_its_sts_endpoint_needs_it() {
    let off = config(&[]).unwrap();
    assert!(!off.aws_identity_from_host && off.aws_sts_endpoint.is_none());
    let host = config(&[
        ("BUCKETDESK_AWS_IDENTITY", "host"),
        (
            "BUCKETDESK_AWS_STS_ENDPOINT",
            "https://sts.eu-west-1.amazonaws.com/",
        ),
    ])
    .unwrap();
    assert!(host.aws_identity_from_host);
    assert_eq!(
        host.aws_sts_endpoint.as_deref(),
        Some("https://sts.eu-west-1.amazonaws.com")
    );
    assert_eq!(
        config(&[("BUCKETDESK_AWS_IDENTITY", "instance")])
            .unwrap_err()
            .var,
        "BUCKETDESK_AWS_IDENTITY"
    );
    assert_eq!(
        config(&[("BUCKETDESK_AWS_STS_ENDPOINT", "https://sts.amazonaws.com")])
            .unwrap_err()
            .var,
        "BUCKETDESK_AWS_STS_ENDPOINT"
    );
    assert_eq!(
        config(&[
            ("BUCKETDESK_AWS_IDENTITY", "host"),
            ("BUCKETDESK_AWS_STS_ENDPOINT", "sts.amazonaws.com"),
        ])
        .unwrap_err()
        .var,
        "BUCKETDESK_AWS_STS_ENDPOINT"
    );
}

#[test]
fn audit_events_are_kept_forever_unless_a_retention_is_set() {
    assert_eq!(config(&[]).unwrap().web_settings().audit_retention, None);
    assert_eq!(
        config(&[("BUCKETDESK_AUDIT_RETENTION_DAYS", "")])
            .unwrap()
            .audit_retention_days,
        None
    );
    let kept = config(&[("BUCKETDESK_AUDIT_RETENTION_DAYS", "400")]).unwrap();
    assert_eq!(
        kept.web_settings().audit_retention,
        Some(std::time::Duration::from_secs(400 * 24 * 60 * 60))
    );
}
