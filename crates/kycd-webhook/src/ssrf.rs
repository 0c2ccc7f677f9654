//! The SSRF guard: which targets the deliverer may connect to.
//!
//! Two layers. [`check_url`] refuses bad schemes, plain http and IP-literal hosts in forbidden ranges before any
//! request is made. Host names are resolved by [`GuardedResolver`], installed as the HTTP client's only DNS
//! resolver: it resolves the name once, refuses the whole name if *any* address is forbidden, and hands exactly the
//! checked addresses to the connector. The connection therefore goes to an address that was checked — a second,
//! different DNS answer (rebinding) cannot slip in between the check and the connect. System proxies are disabled
//! on the client so resolution cannot move to a proxy either.

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Why a target was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The URL does not parse.
    #[error("invalid webhook URL: {0}")]
    BadUrl(String),
    /// Not http(s), or plain http while private targets are not allowed.
    #[error("refused URL scheme {0:?} (https required)")]
    Scheme(String),
    /// The host is, or resolves to, a forbidden address.
    #[error(
        "refused target {host}: address {ip} is loopback, private, link-local or otherwise not public"
    )]
    Address {
        /// Host as written in the URL.
        host: String,
        /// The offending address.
        ip: IpAddr,
    },
    /// The URL has no host.
    #[error("webhook URL has no host")]
    NoHost,
}

/// True for addresses a webhook must never reach unless private targets are allowed: loopback, unspecified, RFC 1918
/// private, link-local, CGNAT 100.64/10, multicast, broadcast and reserved 240/4, `0.0.0.0/8`; IPv6 loopback,
/// unspecified, unique-local fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast, and IPv4-mapped /
/// NAT64 (64:ff9b::/96) addresses whose embedded IPv4 address is forbidden.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, _, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let s = ip.segments();
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        let [a, b] = s[6].to_be_bytes();
        let [c, d] = s[7].to_be_bytes();
        return forbidden_v4(Ipv4Addr::new(a, b, c, d));
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
}

/// Checks scheme and IP-literal hosts; returns the parsed URL. Host names are checked at resolution time.
pub fn check_url(url: &str, allow_private: bool) -> Result<Url, Refusal> {
    let u = Url::parse(url).map_err(|e| Refusal::BadUrl(e.to_string()))?;
    match u.scheme() {
        "https" => {}
        "http" if allow_private => {}
        other => return Err(Refusal::Scheme(other.to_string())),
    }
    let ip = match u.host() {
        None => return Err(Refusal::NoHost),
        Some(url::Host::Domain(_)) => None,
        Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
    };
    if let Some(ip) = ip
        && !allow_private
        && is_forbidden(ip)
    {
        return Err(Refusal::Address {
            host: u.host_str().unwrap_or_default().to_string(),
            ip,
        });
    }
    Ok(u)
}

/// DNS resolver for the webhook client: resolves with the system resolver and refuses names with any forbidden
/// address (unless `allow_private`).
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    /// Skip the address check (tests, private deployments).
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow_private && let Some(bad) = addrs.iter().find(|a| is_forbidden(a.ip())) {
                return Err(Box::new(Refusal::Address { host, ip: bad.ip() })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Finds a [`Refusal`] in an error's source chain (the resolver's refusal arrives wrapped by the HTTP client).
pub fn find_refusal(err: &(dyn std::error::Error + 'static)) -> Option<Refusal> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<Refusal>() {
            return Some(r.clone());
        }
        cur = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_ranges() {
        let bad = [
            "127.0.0.1",
            "127.8.9.10",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "64:ff9b::a9fe:a9fe",
        ];
        for s in bad {
            assert!(is_forbidden(s.parse().unwrap()), "{s} should be forbidden");
        }
        let good = [
            "8.8.8.8",
            "1.1.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "2606:4700::1111",
            "2001:db8::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ];
        for s in good {
            assert!(!is_forbidden(s.parse().unwrap()), "{s} should be allowed");
        }
    }

    #[test]
    fn url_checks() {
        assert!(check_url("https://example.com/hook", false).is_ok());
        assert!(matches!(
            check_url("http://example.com/hook", false),
            Err(Refusal::Scheme(_))
        ));
        assert!(check_url("http://example.com/hook", true).is_ok());
        assert!(matches!(
            check_url("ftp://example.com/", true),
            Err(Refusal::Scheme(_))
        ));
        assert!(matches!(
            check_url("file:///etc/passwd", true),
            Err(Refusal::Scheme(_))
        ));
        assert!(matches!(
            check_url("not a url", false),
            Err(Refusal::BadUrl(_))
        ));
        assert!(matches!(
            check_url("https://127.0.0.1:8443/", false),
            Err(Refusal::Address { .. })
        ));
        assert!(matches!(
            check_url("https://[::1]/", false),
            Err(Refusal::Address { .. })
        ));
        assert!(matches!(
            check_url("https://[::ffff:192.168.0.1]/", false),
            Err(Refusal::Address { .. })
        ));
        assert!(check_url("https://127.0.0.1:8443/", true).is_ok());
        assert!(check_url("https://93.184.215.14/", false).is_ok());
    }

    #[tokio::test]
    async fn resolver_refuses_localhost_names() {
        let r = GuardedResolver {
            allow_private: false,
        };
        let name: Name = "localhost".parse().unwrap();
        let err = r.resolve(name).await.err().expect("localhost refused");
        assert!(matches!(
            find_refusal(err.as_ref()),
            Some(Refusal::Address { .. })
        ));
        let r = GuardedResolver {
            allow_private: true,
        };
        let addrs: Vec<_> = r
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
    }
}
