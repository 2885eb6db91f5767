//! The endpoint guard (S12): only http(s), and no private, loopback,
//! link-local or cloud-metadata addresses unless the instance admin allows
//! them (`BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS=true`, needed for a local MinIO).
//!
//! An endpoint's host name is checked when the bucket is connected, and every
//! address it resolves to is checked again each time a connection is opened
//! ([`GuardedResolver`]), so a name that later resolves to 127.0.0.1 (DNS
//! rebinding) gets nowhere.

use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum EndpointError {
    #[error(
        "The endpoint is not a URL. It looks like https://s3.example.com (or http://host:9000 for a local server)."
    )]
    NotAUrl,
    #[error("The endpoint must start with https:// (or http://), not {0}://.")]
    Scheme(String),
    #[error("Give the endpoint's base URL only: no user name, password, path, query or fragment.")]
    Extra,
    #[error(
        "The endpoint {0} is a private, loopback, link-local or cloud-metadata address. bucketdesk refuses those \
         unless the instance admin sets BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS=true (needed for a local MinIO)."
    )]
    Private(String),
}

/// True for addresses an endpoint may not point at without the admin's leave.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private_v4(v4),
            None => is_private_v6(v6),
        },
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()            // 127.0.0.0/8
        || ip.is_private()      // 10/8, 172.16/12, 192.168/16
        || ip.is_link_local()   // 169.254/16, cloud metadata included
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0               // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT, 100.64/10
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19))   // benchmarking
        || a >= 240 // reserved
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7 (AWS metadata fd00:ec2::254 too)
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated, still routed privately)
        || (s[0] == 0x64 && s[1] == 0xff9b) // NAT64 64:ff9b::/96 and the local-use 64:ff9b:1::/48
        || (s[0] == 0x2001 && s[1] == 0) // Teredo 2001::/32: tunnels to an IPv4 address
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation 2001:db8::/32
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only 100::/64
        || embedded_v4(ip).is_some_and(is_private_v4)
}

/// The IPv4 address an IPv6 address carries and is routed to: IPv4-compatible
/// `::a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d` and 6to4 `2002:aabb:ccdd::/48`.
/// (IPv4-mapped `::ffff:a.b.c.d` is unwrapped before this.)
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        [0, 0, 0, 0, 0, 0, hi, lo] => Some(v4(hi, lo)),
        [0, 0, 0, 0, 0xffff, 0, hi, lo] => Some(v4(hi, lo)),
        [0x2002, hi, lo, ..] => Some(v4(hi, lo)),
        _ => None,
    }
}

/// Parses and checks an endpoint URL. Host names are checked again when
/// they are resolved; `localhost` counts as loopback here already.
pub fn check_endpoint_url(input: &str, allow_private: bool) -> Result<Url, EndpointError> {
    let url = Url::parse(input.trim()).map_err(|_| EndpointError::NotAUrl)?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(EndpointError::Scheme(
            url.scheme().chars().take(20).collect(),
        ));
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || (url.path() != "/" && !url.path().is_empty())
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(EndpointError::Extra);
    }
    let private = match url.host() {
        None => return Err(EndpointError::NotAUrl),
        // the URL parser has already normalised forms like 2130706433 or 0x7f.1 to 127.0.0.1
        Some(Host::Ipv4(v4)) => is_private(IpAddr::V4(v4)),
        Some(Host::Ipv6(v6)) => is_private(IpAddr::V6(v6)),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    };
    if private && !allow_private {
        return Err(EndpointError::Private(
            url.host_str().unwrap_or_default().to_owned(),
        ));
    }
    Ok(url)
}

/// Resolves host names for S3 connections and refuses any name that resolves
/// to an address the guard forbids.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl ResolveDns for GuardedResolver {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        let allow_private = self.allow_private;
        DnsFuture::new(async move {
            let addresses: Vec<IpAddr> = tokio::net::lookup_host((name, 0))
                .await
                .map_err(ResolveDnsError::new)?
                .map(|a| a.ip())
                .collect();
            if !allow_private && let Some(bad) = addresses.iter().find(|ip| is_private(**ip)) {
                return Err(ResolveDnsError::new(EndpointError::Private(format!(
                    "{name} ({bad})"
                ))));
            }
            Ok(addresses)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> bool {
        matches!(
            check_endpoint_url(url, false),
            Err(EndpointError::Private(_))
        )
    }

    #[test]
    fn private_loopback_link_local_and_metadata_addresses_are_refused() {
        for url in [
            "http://127.0.0.1:9000",
            "http://[::1]:9000",
            "http://169.254.169.254",
            "http://10.0.0.1",
            "http://172.16.5.4",
            "http://192.168.1.10",
            "http://2130706433",
            "http://0x7f.1",
            "http://0.0.0.0",
            "http://[::ffff:127.0.0.1]",
            "http://[fd00:ec2::254]",
            "http://[fe80::1]",
            "http://100.64.0.1",
            "http://localhost:9000",
            "http://minio.localhost",
        ] {
            assert!(refused(url), "{url}");
        }
    }

    #[test]
    fn ipv6_forms_that_embed_or_route_to_a_private_ipv4_address_are_refused() {
        for url in [
            "http://[::127.0.0.1]",         // IPv4-compatible
            "http://[::10.0.0.1]:9000",     // IPv4-compatible, private
            "http://[::ffff:0:7f00:1]",     // IPv4-translated (SIIT)
            "http://[::ffff:0:a9fe:a9fe]",  // translated metadata address
            "http://[2002:7f00:1::1]",      // 6to4 of 127.0.0.1
            "http://[2002:a9fe:a9fe::]",    // 6to4 of 169.254.169.254
            "http://[2001:0:4136:e378::1]", // Teredo
            "http://[64:ff9b::7f00:1]",     // NAT64
            "http://[64:ff9b:1::a00:1]",    // local-use NAT64
            "http://[fec0::1]",             // site-local
            "http://[2001:db8::1]",         // documentation
            "http://[100::1]",              // discard-only
        ] {
            assert!(refused(url), "{url}");
        }
    }

    #[test]
    fn the_resolver_applies_the_same_rules_to_every_ipv6_form() {
        for ip in [
            "::127.0.0.1",
            "::ffff:0:7f00:1",
            "2002:7f00:1::1",
            "2001::1",
            "64:ff9b:1::1",
            "fec0::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(is_private(ip), "{ip}");
        }
        for ip in ["2002:808:808::1", "2600:1f18::1", "::ffff:8.8.8.8"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!is_private(ip), "{ip} is public");
        }
    }

    #[test]
    fn public_endpoints_pass() {
        for url in [
            "https://s3.eu-central-1.amazonaws.com",
            "https://abc.r2.cloudflarestorage.com",
            "https://8.8.8.8",
            "https://[2600:1f18::1]",
            "https://[2002:808:808::1]",
        ] {
            assert!(check_endpoint_url(url, false).is_ok(), "{url}");
        }
    }

    #[test]
    fn the_admin_may_allow_private_endpoints() {
        assert!(check_endpoint_url("http://127.0.0.1:9000", true).is_ok());
        assert!(check_endpoint_url("http://minio:9000", true).is_ok());
    }

    #[test]
    fn only_plain_http_and_https_base_urls() {
        assert_eq!(
            check_endpoint_url("ftp://files.example.com", true),
            Err(EndpointError::Scheme("ftp".into()))
        );
        assert_eq!(
            check_endpoint_url("file:///etc/passwd", true),
            Err(EndpointError::Scheme("file".into()))
        );
        assert_eq!(
            check_endpoint_url("not a url", true),
            Err(EndpointError::NotAUrl)
        );
        assert_eq!(
            check_endpoint_url("https://u:p@s3.example.com", true),
            Err(EndpointError::Extra)
        );
        assert_eq!(
            check_endpoint_url("https://s3.example.com/bucket", true),
            Err(EndpointError::Extra)
        );
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_that_resolve_to_private_addresses() {
        let guarded = GuardedResolver {
            allow_private: false,
        };
        assert!(guarded.resolve_dns("localhost").await.is_err());
        let open = GuardedResolver {
            allow_private: true,
        };
        assert!(!open.resolve_dns("localhost").await.unwrap().is_empty());
    }
}
