//! Where an image URL may lead: checked on the URL of every hop (scheme, userinfo, port, an
//! address written in the URL) and again on the addresses a host name resolves to, which are
//! the addresses then connected to.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use crate::config::AllowEntry;

use super::address::is_public;

/// Ports a public destination may use: plain HTTP and HTTPS, whatever the scheme.
const ORDINARY_PORTS: [u16; 2] = [80, 443];

/// Why an image URL was not fetched; logged at debug level only, never sent to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotAUrl,
    Scheme(String),
    Userinfo,
    NoHost,
    Port(u16),
    Address(IpAddr),
    Resolve(String),
    TooManyImages(usize),
    TooManyRedirects,
    Status(u16),
    Transport(String),
    TooLarge,
    TotalTooLarge,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotAUrl => f.write_str("not a URL"),
            Refusal::Scheme(s) => write!(f, "scheme `{s}` is not http or https"),
            Refusal::Userinfo => f.write_str("the URL carries a user name or password"),
            Refusal::NoHost => f.write_str("the URL names no host"),
            Refusal::Port(p) => write!(f, "port {p} is not 80 or 443 and not allowed"),
            Refusal::Address(ip) => write!(f, "address {ip} is not public and not allowed"),
            Refusal::Resolve(why) => write!(f, "host name: {why}"),
            Refusal::TooManyImages(n) => write!(f, "{n} image URLs are more than allowed"),
            Refusal::TooManyRedirects => f.write_str("too many redirects"),
            Refusal::Status(s) => write!(f, "the server answered HTTP {s}"),
            Refusal::Transport(why) => write!(f, "fetching failed: {why}"),
            Refusal::TooLarge => f.write_str("the image is larger than image_fetch.max_image_mb"),
            Refusal::TotalTooLarge => {
                f.write_str("the request's images are larger than image_fetch.max_total_mb")
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// The operator's `image_fetch.allow` list applied to URLs and resolved addresses.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    allow: Vec<AllowEntry>,
}

impl Destinations {
    pub fn new(allow: Vec<AllowEntry>) -> Self {
        Self { allow }
    }

    /// Checks one hop's URL before any connection: http(s), no userinfo, and an address written
    /// in the URL must be public (ports 80/443) or allowed. A host name passes here if its port
    /// is allowed for it; its addresses are checked by [`Destinations::check_resolved`].
    pub fn check_url(&self, url: &reqwest::Url) -> Result<(), Refusal> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refusal::Scheme(url.scheme().chars().take(16).collect()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refusal::Userinfo);
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or(Refusal::NoHost)?;
        let port = url.port_or_known_default().ok_or(Refusal::NoHost)?;
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>() {
            return self.check_address(ip, port);
        }
        let naming: Vec<&AllowEntry> = self.allow.iter().filter(|e| e.names_host(host)).collect();
        // A listed name may use only the ports its entries give.
        let port_ok = if naming.is_empty() {
            ORDINARY_PORTS.contains(&port)
        } else {
            naming.iter().any(|e| e.admits_port(port))
        };
        if port_ok {
            Ok(())
        } else {
            Err(Refusal::Port(port))
        }
    }

    /// An address written in a URL: allowed by an entry (and its port), else public on 80/443.
    fn check_address(&self, ip: IpAddr, port: u16) -> Result<(), Refusal> {
        let holding: Vec<&AllowEntry> = self.allow.iter().filter(|e| e.holds_ip(ip)).collect();
        if holding.iter().any(|e| e.admits_port(port)) {
            return Ok(());
        }
        if !is_public(ip) {
            return Err(Refusal::Address(ip));
        }
        if ORDINARY_PORTS.contains(&port) {
            Ok(())
        } else {
            Err(Refusal::Port(port))
        }
    }

    /// Checks what `host` resolved to; every address must pass, so a name that answers with a
    /// public and a private address is refused. The port is not known here, so only entries
    /// without a port count (the URL check already held a listed name to its ports).
    pub fn check_resolved(&self, host: &str, addrs: &[SocketAddr]) -> Result<(), Refusal> {
        if self.allow.iter().any(|e| e.names_host(host)) {
            return Ok(());
        }
        if addrs.is_empty() {
            return Err(Refusal::Resolve("no addresses".into()));
        }
        for addr in addrs {
            let ip = addr.ip();
            let allowed = self
                .allow
                .iter()
                .any(|e| e.port.is_none() && e.holds_ip(ip));
            if !allowed && !is_public(ip) {
                return Err(Refusal::Address(ip));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::{Config, MapEnv};

    fn rules(allow: &[&str]) -> Destinations {
        let list = allow
            .iter()
            .map(|a| format!("\"{a}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let config = Config::from_yaml_str(
            &format!("image_fetch: {{ allow: [{list}] }}"),
            "t.yaml",
            &MapEnv::default(),
        )
        .unwrap();
        Destinations::new(config.image_fetch.allow)
    }

    fn url(text: &str) -> reqwest::Url {
        reqwest::Url::parse(text).unwrap()
    }

    #[test]
    fn urls_are_held_to_public_addresses_and_ordinary_ports() {
        let none = rules(&[]);
        for ok in [
            "https://images.example.com/a.png",
            "http://images.example.com:443/a.png",
            "https://93.184.215.14/a.png",
            "http://[2606:4700::1]/a.png",
        ] {
            assert_eq!(none.check_url(&url(ok)), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("ftp://example.com/a.png", Refusal::Scheme("ftp".into())),
            ("file:///etc/passwd", Refusal::Scheme("file".into())),
            ("http://user:pw@example.com/a.png", Refusal::Userinfo),
            ("http://user@example.com/a.png", Refusal::Userinfo),
            ("http://example.com:22/a.png", Refusal::Port(22)),
            ("https://example.com:8443/a.png", Refusal::Port(8443)),
            (
                "http://127.0.0.1/a.png",
                Refusal::Address("127.0.0.1".parse().unwrap()),
            ),
            // Other spellings of 127.0.0.1 are normalised by the URL parser.
            (
                "http://2130706433/a.png",
                Refusal::Address("127.0.0.1".parse().unwrap()),
            ),
            (
                "http://0x7f.1/a.png",
                Refusal::Address("127.0.0.1".parse().unwrap()),
            ),
            (
                "http://169.254.169.254/latest/meta-data/",
                Refusal::Address("169.254.169.254".parse().unwrap()),
            ),
            (
                "http://[::ffff:7f00:1]/a.png",
                Refusal::Address("::ffff:7f00:1".parse().unwrap()),
            ),
            (
                "http://[fd00::1]/a.png",
                Refusal::Address("fd00::1".parse().unwrap()),
            ),
        ] {
            assert_eq!(none.check_url(&url(bad)), Err(why), "{bad}");
        }
    }

    #[test]
    fn allow_entries_open_named_ranges_hosts_and_ports() {
        let r = rules(&[
            "10.1.2.0/24",
            "127.0.0.1:8080",
            "images.internal",
            "img.corp:9000",
        ]);
        assert_eq!(r.check_url(&url("http://10.1.2.3:5000/a")), Ok(()));
        assert!(r.check_url(&url("http://10.1.3.3/a")).is_err());
        assert_eq!(r.check_url(&url("http://127.0.0.1:8080/a")), Ok(()));
        assert_eq!(
            r.check_url(&url("http://127.0.0.1:8081/a")),
            Err(Refusal::Address("127.0.0.1".parse().unwrap()))
        );
        assert_eq!(r.check_url(&url("http://images.internal:7000/a")), Ok(()));
        assert_eq!(r.check_url(&url("http://img.corp:9000/a")), Ok(()));
        assert_eq!(
            r.check_url(&url("http://img.corp/a")),
            Err(Refusal::Port(80))
        );

        let private: SocketAddr = "10.9.9.9:0".parse().unwrap();
        let allowed: SocketAddr = "10.1.2.9:0".parse().unwrap();
        let public: SocketAddr = "8.8.8.8:0".parse().unwrap();
        let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
        assert_eq!(r.check_resolved("images.internal", &[private]), Ok(()));
        assert_eq!(r.check_resolved("x.example", &[allowed, public]), Ok(()));
        assert_eq!(
            r.check_resolved("x.example", &[public, private]),
            Err(Refusal::Address(private.ip()))
        );
        // A port-limited address entry does not open the address to any name.
        assert_eq!(
            r.check_resolved("x.example", &[loopback]),
            Err(Refusal::Address(loopback.ip()))
        );
        assert!(r.check_resolved("x.example", &[]).is_err());
    }
}
