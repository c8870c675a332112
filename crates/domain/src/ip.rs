//! IP allow-lists: what addresses a client may call from.

use ipnet::IpNet;
use std::net::IpAddr;

/// A validated list of addresses and CIDR ranges. Empty means "no restriction" only together
/// with the client's `hasIpAddressRestriction = false`; the client decides, not the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpAllowList(Vec<IpNet>);

/// The contract's message for a bad entry.
pub const INVALID_IP_MESSAGE: &str = "Invalid ip address";

impl IpAllowList {
    pub const MAX_ENTRIES: usize = 256;

    /// Parses entries like `203.0.113.7`, `10.0.0.0/8`, `2001:db8::/32`. Returns the entries that
    /// failed, so the caller can name each one.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, Vec<String>> {
        let mut nets = Vec::with_capacity(entries.len());
        let mut bad = Vec::new();
        for raw in entries {
            let raw = raw.as_ref().trim();
            match parse_entry(raw) {
                Some(net) => nets.push(net),
                None => bad.push(raw.to_owned()),
            }
        }
        if bad.is_empty() {
            Ok(Self(nets))
        } else {
            Err(bad)
        }
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = addr.to_canonical();
        self.0.iter().any(|net| net.contains(&addr))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The entries as text: a single address is written without its `/32` or `/128`.
    pub fn to_strings(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|net| {
                if net.prefix_len() == net.max_prefix_len() {
                    net.addr().to_string()
                } else {
                    net.to_string()
                }
            })
            .collect()
    }
}

fn parse_entry(raw: &str) -> Option<IpNet> {
    if raw.contains('/') {
        // `10.0.0.1/8` is accepted and normalised to `10.0.0.0/8`.
        raw.parse::<IpNet>().ok().map(|n| n.trunc())
    } else {
        raw.parse::<IpAddr>()
            .ok()
            .map(|a| IpNet::from(a.to_canonical()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_ranges() {
        let list =
            IpAllowList::parse(&["203.0.113.7", "10.0.0.0/8", "2001:db8::/32"]).expect("valid");
        assert!(list.contains("203.0.113.7".parse().expect("ip")));
        assert!(list.contains("10.200.1.1".parse().expect("ip")));
        assert!(
            list.contains("::ffff:10.1.2.3".parse().expect("ip")),
            "v4-mapped v6 is v4"
        );
        assert!(list.contains("2001:db8:1::5".parse().expect("ip")));
        assert!(!list.contains("203.0.113.8".parse().expect("ip")));
        assert!(!list.contains("2001:db9::1".parse().expect("ip")));
        assert_eq!(
            list.to_strings(),
            vec!["203.0.113.7", "10.0.0.0/8", "2001:db8::/32"]
        );
    }

    #[test]
    fn bad_entries_are_named() {
        let err = IpAllowList::parse(&["1.2.3.4", "300.1.1.1", "10.0.0.0/33", "abc"])
            .expect_err("invalid");
        assert_eq!(err, vec!["300.1.1.1", "10.0.0.0/33", "abc"]);
    }
}
