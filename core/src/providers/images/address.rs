//! Which IP addresses count as public: the only ones a client-given image URL may reach unless
//! the operator allows more (`image_fetch.allow`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` is a globally routable unicast address: not loopback, private, link-local
/// (cloud metadata at 169.254.169.254), shared (CGNAT), unspecified, broadcast, multicast,
/// reserved or documentation; IPv6 forms that carry an IPv4 address (mapped, compatible, 6to4,
/// NAT64, Teredo) count as their IPv4 address or are refused outright.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

/// IPv4 ranges that are never a public web server (IANA special-purpose registry).
const V4_REFUSED: &[([u8; 4], u32)] = &[
    ([0, 0, 0, 0], 8),       // "this network", unspecified
    ([10, 0, 0, 0], 8),      // private
    ([100, 64, 0, 0], 10),   // shared address space (CGNAT)
    ([127, 0, 0, 0], 8),     // loopback
    ([169, 254, 0, 0], 16),  // link-local, cloud metadata
    ([172, 16, 0, 0], 12),   // private
    ([192, 0, 0, 0], 24),    // IETF protocol assignments
    ([192, 0, 2, 0], 24),    // documentation
    ([192, 88, 99, 0], 24),  // 6to4 relay anycast
    ([192, 168, 0, 0], 16),  // private
    ([198, 18, 0, 0], 15),   // benchmarking
    ([198, 51, 100, 0], 24), // documentation
    ([203, 0, 113, 0], 24),  // documentation
    ([224, 0, 0, 0], 4),     // multicast
    ([240, 0, 0, 0], 4),     // reserved, broadcast
];

fn is_public_v4(ip: Ipv4Addr) -> bool {
    !V4_REFUSED
        .iter()
        .any(|(net, prefix)| in_v4(ip, *net, *prefix))
}

fn in_v6(ip: Ipv6Addr, net: u128, prefix: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    u128::from(ip) & mask == net & mask
}

/// The IPv4 address in the low 32 bits.
fn low_v4(ip: Ipv6Addr) -> Ipv4Addr {
    // Truncation is the point: the last 32 bits.
    Ipv4Addr::from((u128::from(ip) & 0xffff_ffff) as u32)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let bits = u128::from(ip);
    // NAT64 (64:ff9b::/96): reaches the embedded IPv4 address.
    if in_v6(ip, 0x0064_ff9b << 96, 96) {
        return is_public_v4(low_v4(ip));
    }
    // 6to4 (2002::/16): the IPv4 address is in bits 16..48.
    if in_v6(ip, 0x2002 << 112, 16) {
        // Truncation is the point: those 32 bits.
        return is_public_v4(Ipv4Addr::from((bits >> 80) as u32));
    }
    // Everything outside global unicast (2000::/3) is special: ::, ::1, IPv4-mapped and
    // -compatible (::/96, ::ffff:0:0/96), unique-local fc00::/7, link-local fe80::/10,
    // multicast ff00::/8, discard 100::/64, local NAT64 64:ff9b:1::/48, …
    if !in_v6(ip, 0x2000 << 112, 3) {
        return false;
    }
    // Inside it: IETF protocol assignments (Teredo 2001::/32, benchmarking, ORCHID) and
    // documentation (2001:db8::/32, 3fff::/20).
    !(in_v6(ip, 0x2001 << 112, 23)
        || in_v6(ip, 0x2001_0db8 << 96, 32)
        || in_v6(ip, 0x3fff << 112, 20))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public(text.parse().unwrap_or_else(|_| panic!("address {text}")))
    }

    #[test]
    fn private_and_special_ipv4_is_refused() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(!public(ip), "{ip} counted as public");
        }
    }

    #[test]
    fn public_ipv4_is_accepted() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.167.1.1",
            "198.20.0.1",
            "223.255.255.254",
        ] {
            assert!(public(ip), "{ip} counted as not public");
        }
    }

    #[test]
    fn special_ipv6_is_refused() {
        for ip in [
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
            "::127.0.0.1",
            "::8.8.8.8",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "100::1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::808:808",
            "2002:7f00:1::1",
            "2002:a00:1::",
            "2002:a9fe:a9fe::1",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:db8::1",
            "3fff::1",
        ] {
            assert!(!public(ip), "{ip} counted as public");
        }
    }

    #[test]
    fn public_ipv6_is_accepted() {
        for ip in [
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "2a00:1450:4001::200e",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(public(ip), "{ip} counted as not public");
        }
    }
}
