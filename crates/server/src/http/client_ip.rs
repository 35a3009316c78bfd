//! The client's IP address for rate limiting: the TCP peer, unless the peer
//! is a configured trusted proxy (`TRUSTED_PROXIES`), in which case the
//! right-most `X-Forwarded-For` entry that is not itself a trusted proxy. A
//! client talking to the server directly cannot move itself to another bucket
//! by sending a forged `X-Forwarded-For`: it is only read from trusted peers.

use std::net::{IpAddr, Ipv4Addr};

use actix_web::http::header::HeaderMap;
use ipnet::IpNet;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(&ip))
    }

    /// The client address of a request from `peer` with `headers`.
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> IpAddr {
        // Without a peer (not a TCP connection) every such request shares one
        // bucket rather than escaping the limit.
        let mut client = peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ip| ip.to_canonical());
        if !self.trusts(client) {
            return client;
        }
        // Proxies append, so walk from the right: the first hop that is not
        // one of ours is the client as our own proxies saw it.
        let hops: Vec<&str> = headers
            .get_all(X_FORWARDED_FOR)
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.into_iter().rev() {
            match parse_hop(hop) {
                Some(ip) if self.trusts(ip) => client = ip,
                Some(ip) => return ip,
                // Garbage from the far side: keep the last address we trust.
                None => return client,
            }
        }
        client
    }
}

/// `203.0.113.7`, `2001:db8::1`, `[2001:db8::1]:443` or `203.0.113.7:443`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|address| address.ip().to_canonical())
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(
            HeaderName::from_static(X_FORWARDED_FOR),
            HeaderValue::from_str(xff).unwrap(),
        );
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let proxies = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]);
        let forged = headers("198.51.100.1");
        assert_eq!(
            proxies.client_ip(Some(ip("203.0.113.9")), &forged),
            ip("203.0.113.9")
        );
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_ip(Some(ip("127.0.0.1")), &forged),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_right_most_untrusted_hop() {
        let proxies = TrustedProxies::new(vec![
            "10.0.0.0/8".parse().unwrap(),
            "127.0.0.1/32".parse().unwrap(),
        ]);
        // The client forged the first entry; our proxies appended the rest.
        let chain = headers("198.51.100.1, 203.0.113.9, 10.1.1.1");
        assert_eq!(
            proxies.client_ip(Some(ip("127.0.0.1")), &chain),
            ip("203.0.113.9")
        );
        assert_eq!(
            proxies.client_ip(Some(ip("10.2.2.2")), &HeaderMap::new()),
            ip("10.2.2.2")
        );
        assert_eq!(
            proxies.client_ip(Some(ip("10.2.2.2")), &headers("[2001:db8::1]:443")),
            ip("2001:db8::1")
        );
        assert_eq!(
            proxies.client_ip(Some(ip("10.2.2.2")), &headers("nonsense")),
            ip("10.2.2.2")
        );
    }
}
