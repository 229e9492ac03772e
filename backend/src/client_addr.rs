//! Who is on the other end of a request: the client's address and whether it came over
//! HTTPS, read through the reverse proxies the operator trusts (`TRUSTED_PROXIES`).
//!
//! A school usually puts Passerelle behind a reverse proxy that terminates HTTPS; the
//! socket peer is then the proxy for every user, and throttling by it would treat the
//! whole school as one client. The proxy says who the client was in `Forwarded` (RFC 7239)
//! or `X-Forwarded-For`, but anyone can send those headers, so they are believed only
//! from a trusted peer, and only up to the first hop that is not trusted: the rightmost
//! untrusted address is the client (the one a forger cannot choose).

use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

use actix_web::http::header::HeaderMap;
use actix_web::HttpRequest;

/// The proxies whose forwarding headers are believed: addresses or CIDR blocks.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    blocks: Vec<(IpAddr, u8)>,
}

impl TrustedProxies {
    /// Parses `TRUSTED_PROXIES`: addresses or CIDR blocks separated by commas or spaces
    /// (`127.0.0.1, 10.0.0.0/8, ::1`). An empty list trusts nobody: the socket peer is
    /// the client.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        let mut blocks = Vec::new();
        for item in list
            .split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let (addr, len) = match item.split_once('/') {
                Some((addr, len)) => (addr, Some(len)),
                None => (item, None),
            };
            let addr = IpAddr::from_str(addr)
                .map_err(|_| format!("TRUSTED_PROXIES : « {item} » n'est pas une adresse IP"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let len = match len {
                Some(len) => len
                    .parse::<u8>()
                    .ok()
                    .filter(|l| *l <= max)
                    .ok_or_else(|| format!("TRUSTED_PROXIES : préfixe invalide dans « {item} »"))?,
                None => max,
            };
            blocks.push((addr, len));
        }
        Ok(TrustedProxies { blocks })
    }

    pub fn trusts(&self, addr: IpAddr) -> bool {
        let addr = canonical(addr);
        self.blocks
            .iter()
            .any(|&(block, len)| in_block(addr, canonical(block), len))
    }

    /// The client's address: the peer itself unless the peer is a trusted proxy, in which
    /// case the forwarding chain is walked from the right while its hops are trusted.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let mut current = peer;
        for hop in forwarded_for(headers).into_iter().rev() {
            let Some(hop) = hop else {
                // An obfuscated or unreadable hop: the last one we could read is as far as
                // the chain can be believed.
                return current;
            };
            current = canonical(hop);
            if !self.trusts(current) {
                return current;
            }
        }
        current
    }

    /// Whether the request reached us over HTTPS: the connection itself, or a trusted
    /// proxy saying so (`Forwarded: proto=https`, `X-Forwarded-Proto: https`).
    pub fn is_https(&self, req: &HttpRequest) -> bool {
        // Not `connection_info()`: it believes forwarding headers from anyone.
        if req.app_config().secure() {
            return true;
        }
        let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
            return false;
        };
        if !self.trusts(peer) {
            return false;
        }
        let headers = req.headers();
        let forwarded_proto = headers
            .get_all("forwarded")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|element| pair(element, "proto"))
            .next_back();
        let proto = forwarded_proto.or_else(|| {
            headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next_back())
                .map(|v| v.trim().to_owned())
        });
        proto.is_some_and(|p| p.eq_ignore_ascii_case("https"))
    }

    /// The client address of `req` (the peer when there is none, as in unit tests).
    pub fn client_of(&self, req: &HttpRequest) -> Option<IpAddr> {
        req.peer_addr()
            .map(|peer| self.client(peer.ip(), req.headers()))
    }
}

/// The hops of the forwarding headers, leftmost first; `None` for a hop that is not an
/// address (`unknown`, an obfuscated identifier). `Forwarded` wins over `X-Forwarded-For`
/// when both are present (it is the standard one).
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<Option<IpAddr>> = headers
        .get_all("forwarded")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| pair(element, "for"))
        .map(|node| parse_node(&node))
        .collect();
    if !forwarded.is_empty() {
        return forwarded;
    }
    headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|hop| parse_node(hop.trim()))
        .collect()
}

/// The value of `name` in one `Forwarded` element (`for=…;proto=…`), quotes removed.
fn pair(element: &str, name: &str) -> Option<String> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// An address from a forwarding node: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`,
/// `[2001:db8::1]:4711` or a bare IPv6 address.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(addr) = IpAddr::from_str(node) {
        return Some(addr);
    }
    if let Some(rest) = node.strip_prefix('[') {
        let (addr, _) = rest.split_once(']')?;
        return Ipv6Addr::from_str(addr).ok().map(IpAddr::V6);
    }
    let (addr, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    IpAddr::from_str(addr).ok()
}

/// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, what a dual-stack socket reports) as
/// the IPv4 address they are.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

fn in_block(addr: IpAddr, block: IpAddr, len: u8) -> bool {
    match (addr, block) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// How an address is counted by the sign-in throttle: an IPv4 address as itself, an IPv6
/// address by its /64 (what one subscriber line or one school network gets, and what an
/// attacker can rotate through freely inside).
pub fn throttle_key(addr: IpAddr) -> String {
    match canonical(addr) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", Ipv6Addr::from(prefix))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        IpAddr::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn proxies(list: &str) -> TrustedProxies {
        TrustedProxies::parse(list).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let none = TrustedProxies::default();
        let forged = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(none.client(ip("203.0.113.9"), &forged), ip("203.0.113.9"));
        let some = proxies("127.0.0.1");
        assert_eq!(some.client(ip("203.0.113.9"), &forged), ip("203.0.113.9"));
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let p = proxies("127.0.0.1, 10.0.0.0/8");
        // The client forged a first hop; the proxies appended the real ones.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.1.2.3")]);
        assert_eq!(p.client(ip("127.0.0.1"), &h), ip("198.51.100.7"));
        let h = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https",
        )]);
        assert_eq!(p.client(ip("127.0.0.1"), &h), ip("2001:db8:cafe::17"));
        // Every hop trusted: the leftmost is as far as we can go.
        let h = headers(&[("x-forwarded-for", "10.9.9.9")]);
        assert_eq!(p.client(ip("127.0.0.1"), &h), ip("10.9.9.9"));
        // An unreadable hop stops the walk at the last readable one.
        let h = headers(&[("forwarded", "for=198.51.100.7, for=unknown")]);
        assert_eq!(p.client(ip("127.0.0.1"), &h), ip("127.0.0.1"));
        // Mapped addresses are compared as IPv4.
        let h = headers(&[("x-forwarded-for", "198.51.100.8")]);
        assert_eq!(p.client(ip("::ffff:127.0.0.1"), &h), ip("198.51.100.8"));
    }

    #[test]
    fn bad_lists_are_refused_with_the_item() {
        for bad in ["localhost", "10.0.0.0/33", "::1/129", "10.0.0.0/x"] {
            let err = TrustedProxies::parse(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad}"));
            assert!(err.contains("TRUSTED_PROXIES"), "{err}");
        }
        assert!(proxies("").blocks.is_empty());
        assert!(proxies("::1 192.168.0.0/16").trusts(ip("192.168.44.2")));
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        assert_eq!(
            throttle_key(ip("2001:db8:1:2:aaaa::1")),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            throttle_key(ip("2001:db8:1:2:bbbb::9")),
            throttle_key(ip("2001:db8:1:2:aaaa::1"))
        );
        assert_eq!(throttle_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
    }
}
