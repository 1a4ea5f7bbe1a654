//! `image_fetch`: whether and how the gateway fetches http(s) image URLs that clients send, for
//! the providers that only take image bytes (Gemini, Ollama). The defaults are safe on a public
//! address: public destinations only, ports 80 and 443, bounded counts and bytes per request.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use super::env::{Env, non_empty};
use super::error::{ConfigError, child, index};
use super::raw::{RawImageFetch, Scalar};

const SECTION: &str = "image_fetch";
const MIB: usize = 1024 * 1024;

/// Validated `image_fetch` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFetchConfig {
    /// Off: an http(s) image for a provider that needs bytes is refused (data: URIs still work).
    pub enabled: bool,
    /// Non-public destinations the operator trusts (an internal image server).
    pub allow: Vec<AllowEntry>,
    /// Distinct image URLs fetched for one request at most.
    pub max_images: usize,
    /// Bytes read across all of one request's images at most.
    pub max_total_bytes: usize,
    /// Bytes of one image at most.
    pub max_image_bytes: usize,
    /// Images of one request fetched at the same time at most.
    pub max_concurrent: usize,
}

impl Default for ImageFetchConfig {
    fn default() -> Self {
        ImageFetchConfig {
            enabled: true,
            allow: Vec::new(),
            max_images: 16,
            max_total_bytes: 32 * MIB,
            max_image_bytes: 20 * MIB,
            max_concurrent: 4,
        }
    }
}

/// One `image_fetch.allow` entry: a network or a host name, optionally limited to one port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowEntry {
    pub target: AllowTarget,
    /// `None`: any port.
    pub port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowTarget {
    /// An address or CIDR range, matched against the address connected to.
    Net(IpNet),
    /// A host name as written in the URL (lowercase, no trailing dot); `*.example.internal`
    /// matches every name below `example.internal`.
    Host(String),
}

impl AllowEntry {
    /// Whether this entry names `host` (a URL's host name, any case, trailing dot allowed).
    pub fn names_host(&self, host: &str) -> bool {
        let AllowTarget::Host(pattern) = &self.target else {
            return false;
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        match pattern.strip_prefix("*.") {
            Some(parent) => host
                .strip_suffix(parent)
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
            None => host == *pattern,
        }
    }

    /// Whether this entry's network holds `ip` (IPv4-mapped IPv6 counts as its IPv4 address).
    pub fn holds_ip(&self, ip: IpAddr) -> bool {
        match &self.target {
            AllowTarget::Net(net) => net.contains(ip),
            AllowTarget::Host(_) => false,
        }
    }

    /// Whether `port` is one this entry allows.
    pub fn admits_port(&self, port: u16) -> bool {
        self.port.is_none_or(|p| p == port)
    }
}

impl fmt::Display for AllowEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.target, self.port) {
            (AllowTarget::Net(net), None) => write!(f, "{net}"),
            (AllowTarget::Net(net), Some(port)) => write!(f, "{}", SocketAddr::new(net.addr, port)),
            (AllowTarget::Host(host), None) => f.write_str(host),
            (AllowTarget::Host(host), Some(port)) => write!(f, "{host}:{port}"),
        }
    }
}

/// An IPv4 or IPv6 network: an address and a prefix length, host bits zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// `addr/prefix`, or `None` when the prefix is too long or host bits are set.
    pub fn new(addr: IpAddr, prefix: u8) -> Option<IpNet> {
        let net = IpNet { addr, prefix };
        let bits = match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        (prefix <= bits && net.masked(addr) == Some(addr)).then_some(net)
    }

    /// `addr` with this network's host bits cleared, if it is of the same family.
    fn masked(&self, addr: IpAddr) -> Option<IpAddr> {
        match (self.addr, addr) {
            (IpAddr::V4(_), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                Some(IpAddr::V4((u32::from(a) & mask).into()))
            }
            (IpAddr::V6(_), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                Some(IpAddr::V6((u128::from(a) & mask).into()))
            }
            _ => None,
        }
    }

    /// Whether `ip` is in the network; an IPv4-mapped IPv6 address is tried as IPv4 too.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            IpAddr::V4(_) => ip,
        };
        self.masked(ip) == Some(self.addr)
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The `image_fetch` section.
pub(super) fn image_fetch(raw: Option<RawImageFetch>) -> Result<ImageFetchConfig, ConfigError> {
    let mut config = ImageFetchConfig::default();
    let Some(raw) = raw else {
        return Ok(config);
    };
    if let Some(Scalar(text)) = raw.enabled {
        config.enabled = switch(&text, &child(SECTION, "enabled"))?;
    }
    for (i, entry) in raw
        .allow
        .map(|a| a.0)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        config
            .allow
            .push(allow_entry(entry, &index(&child(SECTION, "allow"), i))?);
    }
    if let Some(Scalar(text)) = raw.max_images {
        config.max_images = at_least_one(&text, "max_images", "e.g. 16")?;
    }
    if let Some(Scalar(text)) = raw.max_concurrent {
        config.max_concurrent = at_least_one(&text, "max_concurrent", "e.g. 4")?;
    }
    if let Some(Scalar(text)) = raw.max_total_mb {
        config.max_total_bytes = mebibytes(&text, "max_total_mb", "e.g. 32")?;
    }
    if let Some(Scalar(text)) = raw.max_image_mb {
        config.max_image_bytes = mebibytes(&text, "max_image_mb", "e.g. 20")?;
    }
    Ok(config)
}

/// Without a file: `MODELGATE_IMAGE_FETCH=off` turns fetching off.
pub(super) fn from_env(env: &dyn Env) -> Result<ImageFetchConfig, ConfigError> {
    const VAR: &str = "MODELGATE_IMAGE_FETCH";
    let mut config = ImageFetchConfig::default();
    if let Some(text) = non_empty(env, VAR) {
        config.enabled = switch(&text, VAR)?;
    }
    Ok(config)
}

fn switch(text: &str, path: &str) -> Result<bool, ConfigError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Ok(true),
        "false" | "off" | "no" | "0" => Ok(false),
        _ => Err(ConfigError::at(
            path,
            format!("`{text}` is not on or off"),
            "write true (fetch public image URLs) or false (refuse image URLs)",
        )),
    }
}

fn at_least_one(text: &str, key: &str, example: &str) -> Result<usize, ConfigError> {
    let path = child(SECTION, key);
    let fix = format!("give a whole number, at least 1, {example}");
    match super::routing::count::<usize>(text, &path).ok() {
        Some(0) => Err(ConfigError::at(path, "must be at least 1", fix)),
        Some(n) => Ok(n),
        None => Err(ConfigError::at(
            path,
            format!("`{text}` is not a whole number"),
            fix,
        )),
    }
}

fn mebibytes(text: &str, key: &str, example: &str) -> Result<usize, ConfigError> {
    let mib = at_least_one(text, key, &format!("in MiB, {example}"))?;
    mib.checked_mul(MIB).ok_or_else(|| {
        ConfigError::at(
            child(SECTION, key),
            format!("{mib} MiB is too large"),
            format!("give a smaller number of MiB, {example}"),
        )
    })
}

/// `10.1.2.0/24`, `10.1.2.3`, `10.1.2.3:8080`, `[fd00::1]:8080`, `images.internal`,
/// `images.internal:8080`, `*.images.internal`.
pub(super) fn allow_entry(text: &str, path: &str) -> Result<AllowEntry, ConfigError> {
    let entry = text.trim().to_ascii_lowercase();
    let fix = "write an address (10.1.2.3), a CIDR range (10.1.2.0/24), or a host name \
               (images.internal, *.images.internal), each optionally with :PORT (not a range)";
    let wrong = |why: String| ConfigError::at(path, why, fix);
    if let Some((addr, prefix)) = entry.split_once('/') {
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| wrong(format!("`{text}` is not a CIDR range")))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| wrong(format!("`{text}` has no valid prefix length")))?;
        return IpNet::new(addr, prefix)
            .map(|net| AllowEntry {
                target: AllowTarget::Net(net),
                port: None,
            })
            .ok_or_else(|| {
                wrong(format!(
                    "`{text}` is not a network (prefix too long, or bits set after the prefix)"
                ))
            });
    }
    let single = |addr: IpAddr, port: Option<u16>| AllowEntry {
        target: AllowTarget::Net(IpNet {
            addr,
            prefix: if addr.is_ipv4() { 32 } else { 128 },
        }),
        port,
    };
    if let Ok(addr) = entry.parse::<IpAddr>() {
        return Ok(single(addr, None));
    }
    if let Ok(addr) = entry.parse::<SocketAddr>() {
        return Ok(single(addr.ip(), Some(addr.port())));
    }
    let (host, port) = match entry.rsplit_once(':') {
        Some((host, port)) => {
            let port: u16 = port
                .parse()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| wrong(format!("`{text}` has no valid port")))?;
            (host, Some(port))
        }
        None => (entry.as_str(), None),
    };
    let host = host.trim_end_matches('.');
    let name = host.strip_prefix("*.").unwrap_or(host);
    let is_name = !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    if !is_name {
        return Err(wrong(format!(
            "`{text}` is not an address, range or host name"
        )));
    }
    Ok(AllowEntry {
        target: AllowTarget::Host(host.to_owned()),
        port,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::{Config, MapEnv};

    fn load(yaml: &str) -> Result<Config, ConfigError> {
        Config::from_yaml_str(yaml, "test.yaml", &MapEnv::default())
    }

    #[test]
    fn defaults_are_on_and_bounded() {
        let config = load("{}").unwrap();
        assert_eq!(config.image_fetch, ImageFetchConfig::default());
        assert!(config.image_fetch.enabled && config.image_fetch.allow.is_empty());
    }

    #[test]
    fn section_is_read_and_checked() {
        let config = load(
            "image_fetch: { enabled: false, allow: [\"10.1.2.0/24\", images.internal:8080, \"*.img.corp\"], max_images: 3, max_total_mb: 5, max_image_mb: 2, max_concurrent: 1 }",
        )
        .unwrap();
        let f = &config.image_fetch;
        assert!(!f.enabled);
        assert_eq!(
            (
                f.max_images,
                f.max_total_bytes,
                f.max_image_bytes,
                f.max_concurrent
            ),
            (3, 5 * MIB, 2 * MIB, 1)
        );
        let shown: Vec<String> = f.allow.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.1.2.0/24", "images.internal:8080", "*.img.corp"]);
        assert!(f.allow[0].holds_ip("10.1.2.77".parse().unwrap()));
        assert!(f.allow[0].holds_ip("::ffff:10.1.2.77".parse().unwrap()));
        assert!(!f.allow[0].holds_ip("10.1.3.1".parse().unwrap()));
        assert!(f.allow[1].names_host("Images.Internal."));
        assert!(f.allow[2].names_host("a.img.corp"));
        assert!(!f.allow[2].names_host("img.corp"));
        assert!(!f.allow[2].names_host("evilimg.corp"));
    }

    #[test]
    fn mistakes_are_named() {
        let err = load("image_fetch: { allow: [\"10.1.2.5/24\"] }").unwrap_err();
        assert_eq!(err.path, "image_fetch.allow[0]");
        let err = load("image_fetch: { max_images: 0 }").unwrap_err();
        assert_eq!(err.path, "image_fetch.max_images");
        let err = load("image_fetch: { enabled: maybe }").unwrap_err();
        assert_eq!(err.path, "image_fetch.enabled");
        let err = load("image_fetch: { max_image: 3 }").unwrap_err();
        assert!(err.fix.contains("did you mean `max_images`"), "{err}");
        let err = load("image_fetch: { allow: [\"http://x\"] }").unwrap_err();
        assert_eq!(err.path, "image_fetch.allow[0]");
    }

    #[test]
    fn environment_turns_it_off() {
        let env = MapEnv::from_pairs(&[("MODELGATE_IMAGE_FETCH", "off")]);
        assert!(!Config::from_env(&env).unwrap().image_fetch.enabled);
        assert!(
            Config::from_env(&MapEnv::default())
                .unwrap()
                .image_fetch
                .enabled
        );
        let env = MapEnv::from_pairs(&[("MODELGATE_IMAGE_FETCH", "sometimes")]);
        assert_eq!(
            Config::from_env(&env).unwrap_err().path,
            "MODELGATE_IMAGE_FETCH"
        );
    }
}
