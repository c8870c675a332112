//! The caller's IP address.
//!
//! The socket's peer address, unless that peer is a configured trusted proxy: then the
//! right-most `X-Forwarded-For` entry that is not itself a trusted proxy (entries further left
//! were written by the client and prove nothing).

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

pub fn client_ip(peer: SocketAddr, headers: &HeaderMap, trusted_proxies: &[IpNet]) -> IpAddr {
    let peer = peer.ip().to_canonical();
    let trusted = |ip: &IpAddr| trusted_proxies.iter().any(|net| net.contains(ip));
    if trusted_proxies.is_empty() || !trusted(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for entry in forwarded.iter().rev() {
        match entry.parse::<IpAddr>() {
            Ok(ip) if trusted(&ip.to_canonical()) => continue,
            Ok(ip) => return ip.to_canonical(),
            // A garbled hop: stop believing the header rather than skip past it.
            Err(_) => return peer,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().expect("header"));
        h
    }

    #[test]
    fn forwarded_for_only_from_trusted_peers() {
        let proxy: SocketAddr = "10.0.0.5:40000".parse().expect("addr");
        let stranger: SocketAddr = "198.51.100.9:40000".parse().expect("addr");
        let trusted = vec!["10.0.0.0/8".parse().expect("net")];
        let h = headers("1.1.1.1, 203.0.113.7, 10.0.0.4");
        assert_eq!(
            client_ip(proxy, &h, &trusted),
            "203.0.113.7".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(
            client_ip(stranger, &h, &trusted),
            "198.51.100.9".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(
            client_ip(proxy, &h, &[]),
            "10.0.0.5".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(
            client_ip(proxy, &headers("junk"), &trusted),
            "10.0.0.5".parse::<IpAddr>().expect("ip")
        );
    }
}
