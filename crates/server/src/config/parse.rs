//! Reading one variable's text: URLs, networks, booleans, numbers, the GitHub app.

use super::*;

/// The GitHub OAuth app: both the id and the secret, or neither.
pub(super) fn parse_github(
    id: Option<String>,
    secret: Option<String>,
    web: Option<String>,
    api: Option<String>,
) -> Result<Option<GithubSettings>, ConfigError> {
    let (client_id, client_secret) = match (id, secret) {
        (None, None) => return Ok(None),
        (Some(id), Some(secret)) => (id, secret),
        (None, Some(_)) => {
            return Err(bad(
                "GITHUB_CLIENT_ID",
                "is not set, but GITHUB_CLIENT_SECRET is: set both, or neither",
            ));
        }
        (Some(_), None) => {
            return Err(bad(
                "GITHUB_CLIENT_SECRET",
                "is not set, but GITHUB_CLIENT_ID is: set both, or neither",
            ));
        }
    };
    let url = |var: &'static str, value: Option<String>, default: &str| {
        let value = value.unwrap_or_else(|| default.to_owned());
        match Url::parse(&value) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
            _ => Err(bad(var, format!("`{value}` is not an http(s) address"))),
        }
    };
    let web_url = url("GITHUB_URL", web, "https://github.com")?;
    // GitHub Enterprise Server serves its API under /api/v3 of its own address
    let default_api = if web_url.host_str() == Some("github.com") {
        "https://api.github.com".to_owned()
    } else {
        format!("{}/api/v3", web_url.as_str().trim_end_matches('/'))
    };
    Ok(Some(GithubSettings {
        client_id,
        client_secret: SecretString::from(client_secret),
        web_url,
        api_url: url("GITHUB_API_URL", api, &default_api)?,
        timeout: GithubSettings::DEFAULT_TIMEOUT,
        flow_lifetime: GithubSettings::FLOW_LIFETIME,
    }))
}

/// A variable name made at start-up, kept for the process's life (a
/// configuration error names it).
fn var_name(name: String) -> &'static str {
    Box::leak(name.into_boxed_str())
}

/// The single sign-on providers: `BUCKETDESK_SSO_PROVIDERS` names them
/// (`keycloak,google`), and each has `BUCKETDESK_SSO_<NAME>_ISSUER`,
/// `_CLIENT_ID`, `_CLIENT_SECRET`, and optionally `_NAME` (the button's
/// words), `_SCOPES`, `_ALLOWED_DOMAINS`, `_ADMIN_CLAIM` (`claim=value`)
/// and `_TRUST_EMAIL`.
/// `_PRESET` (`google`, `microsoft`) fills in what the provider needs.
pub(super) fn parse_sso(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<SsoSettings>, ConfigError> {
    let Some(names) = get("BUCKETDESK_SSO_PROVIDERS") else {
        return Ok(Vec::new());
    };
    let mut providers: Vec<SsoSettings> = Vec::new();
    for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let name = name.to_ascii_lowercase();
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            || providers.iter().any(|p| p.name == name)
        {
            return Err(bad(
                "BUCKETDESK_SSO_PROVIDERS",
                format!("`{name}`: name each provider once, with letters, digits and _ only"),
            ));
        }
        let prefix = format!("BUCKETDESK_SSO_{}_", name.to_ascii_uppercase());
        let var = |suffix: &str| var_name(format!("{prefix}{suffix}"));
        let value = |suffix: &str| get(&format!("{prefix}{suffix}"));
        let preset = value("PRESET");
        let (default_issuer, default_display) = match preset.as_deref() {
            None => (None, None),
            Some("google") => (
                Some("https://accounts.google.com".to_owned()),
                Some("Google"),
            ),
            Some("microsoft") => (None, Some("Microsoft")),
            Some(other) => {
                return Err(bad(
                    var("PRESET"),
                    format!(
                        "`{other}` is not a preset: use google or microsoft, or set the issuer alone"
                    ),
                ));
            }
        };
        let issuer_text = value("ISSUER").or(default_issuer).ok_or_else(|| {
            bad(
                var("ISSUER"),
                if preset.as_deref() == Some("microsoft") {
                    "is not set: for Microsoft Entra ID it is https://login.microsoftonline.com/<your tenant id>/v2.0"
                } else {
                    "is not set: the provider's issuer URL, e.g. https://sso.example.com/realms/staff"
                },
            )
        })?;
        let loopback =
            |url: &Url| matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        match Url::parse(&issuer_text) {
            Ok(url) if url.scheme() == "https" && url.host().is_some() => {}
            // a provider on this machine (tests, trying it out) may speak plain http
            Ok(url) if url.scheme() == "http" && loopback(&url) => {}
            _ => {
                return Err(bad(
                    var("ISSUER"),
                    format!(
                        "`{issuer_text}` is not an https address (its settings and signing keys must not travel in the clear)"
                    ),
                ));
            }
        }
        if providers.iter().any(|p| p.issuer == issuer_text) {
            return Err(bad(
                var("ISSUER"),
                format!("`{issuer_text}` is the issuer of another provider too: set each up once"),
            ));
        }
        let trust_email = parse_bool(value("TRUST_EMAIL"), var("TRUST_EMAIL"), false)?;
        let client_id = value("CLIENT_ID").ok_or_else(|| {
            bad(
                var("CLIENT_ID"),
                "is not set: the client id the provider gave bucketdesk",
            )
        })?;
        let client_secret = value("CLIENT_SECRET").ok_or_else(|| {
            bad(
                var("CLIENT_SECRET"),
                "is not set: the client secret the provider gave bucketdesk",
            )
        })?;
        let scopes = value("SCOPES").unwrap_or_else(|| "email profile".into());
        let admin_claim = match value("ADMIN_CLAIM") {
            None => None,
            Some(text) => match text.split_once('=') {
                Some((claim, wanted)) if !claim.trim().is_empty() && !wanted.trim().is_empty() => {
                    Some((claim.trim().to_owned(), wanted.trim().to_owned()))
                }
                _ => {
                    return Err(bad(
                        var("ADMIN_CLAIM"),
                        format!("`{text}` is not claim=value, e.g. groups=bucketdesk-admins"),
                    ));
                }
            },
        };
        providers.push(SsoSettings {
            display_name: value("NAME")
                .or(default_display.map(str::to_owned))
                .unwrap_or_else(|| name.clone()),
            issuer: issuer_text,
            client_id,
            client_secret: SecretString::from(client_secret),
            scopes: scopes
                .split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty() && *s != "openid")
                .map(str::to_owned)
                .collect(),
            allowed_domains: value("ALLOWED_DOMAINS")
                .unwrap_or_default()
                .split(',')
                .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
                .filter(|d| !d.is_empty())
                .collect(),
            admin_claim,
            trust_email,
            name,
        });
    }
    Ok(providers)
}

pub(super) fn default_public_url(bind: SocketAddr) -> Url {
    let host = match bind.ip() {
        ip if ip.is_unspecified() => "localhost".to_owned(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    Url::parse(&format!("http://{host}:{}", bind.port()))
        .unwrap_or_else(|_| Url::parse("http://localhost:8080").expect("valid URL"))
}

/// An OTLP/HTTP address (`http://collector:4318`), with `path` added to a
/// base address (the traces' own address is used as it is).
pub(super) fn parse_otlp_endpoint(
    var: &'static str,
    v: &str,
    path: &str,
) -> Result<Url, ConfigError> {
    let url = Url::parse(v)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
        .ok_or_else(|| {
            bad(
                var,
                format!("`{v}` is not an http(s) address like http://otel-collector:4318"),
            )
        })?;
    if path.is_empty() {
        return Ok(url);
    }
    let base = url.as_str().trim_end_matches('/');
    Url::parse(&format!("{base}/{path}")).map_err(|e| bad(var, format!("`{v}`: {e}")))
}

pub(super) fn parse_public_url(v: &str) -> Result<Url, ConfigError> {
    const VAR: &str = "BUCKETDESK_PUBLIC_URL";
    let url = Url::parse(v).map_err(|_| {
        bad(
            VAR,
            format!("`{v}` is not a URL like https://files.example.com"),
        )
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(bad(
            VAR,
            format!(
                "must start with https:// (or http:// for local use), not {}://",
                url.scheme()
            ),
        ));
    }
    if url.host_str().is_none() || !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            VAR,
            format!("`{v}` must be just a scheme, host and optional port"),
        ));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            VAR,
            format!("`{v}` must not have a path: bucketdesk is served at the root of its host"),
        ));
    }
    Ok(url)
}

pub(super) fn parse_net(s: &str) -> Result<IpNet, ConfigError> {
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            bad(
                "BUCKETDESK_TRUSTED_PROXIES",
                format!("`{s}` is not an IP address or network like 10.0.0.0/8"),
            )
        })
}

pub(super) fn parse_bool(
    v: Option<String>,
    var: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match v.as_deref() {
        None => Ok(default),
        Some("false" | "0" | "no") => Ok(false),
        Some("true" | "1" | "yes") => Ok(true),
        Some(other) => Err(bad(
            var,
            format!("must be `true` or `false`, not `{other}`"),
        )),
    }
}

pub(super) fn parse_number(
    v: Option<String>,
    var: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let Some(v) = v else { return Ok(default) };
    match v.parse::<u64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(bad(
            var,
            format!(
                "`{v}` must be a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        )),
    }
}
