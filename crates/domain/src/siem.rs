//! SIEM destinations: where a company's audit log is forwarded, checked at the edge.
//!
//! A destination is Splunk's HTTP Event Collector (`typeId` 1: a URL and a token) or a syslog
//! receiver (`typeId` 2: a server address, a port and `UDP`, `TCP` or `TLS`, spelled in any
//! case). [`Destination::parse`] turns the wire's loose fields into one of the two, or into the
//! validation messages the API answers with.

/// `typeId` of a Splunk HTTP Event Collector.
pub const TYPE_SPLUNK: i64 = 1;
/// `typeId` of a syslog receiver.
pub const TYPE_SYSLOG: i64 = 2;

/// The name the API shows for a `typeId`.
pub fn type_name(type_id: i64) -> &'static str {
    match type_id {
        TYPE_SPLUNK => "Splunk",
        TYPE_SYSLOG => "Syslog",
        _ => "Unknown",
    }
}

/// How syslog travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// One datagram per message; delivery cannot be confirmed.
    Udp,
    /// RFC 6587 octet-counted framing.
    Tcp,
    /// RFC 5425: TLS with the same framing.
    Tls,
}

impl Transport {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "UDP" => Some(Self::Udp),
            "TCP" => Some(Self::Tcp),
            "TLS" => Some(Self::Tls),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Udp => "UDP",
            Self::Tcp => "TCP",
            Self::Tls => "TLS",
        }
    }
}

/// Where records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Splunk {
        /// The collector's base URL or its event endpoint (`…/services/collector/event`).
        api_url: String,
        /// `None` on an update that keeps the stored token.
        token: Option<String>,
    },
    Syslog {
        server_address: String,
        port: u16,
        transport: Transport,
    },
}

/// The wire's fields of a destination, as sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct DestinationFields<'a> {
    pub type_id: Option<i64>,
    pub api_url: Option<&'a str>,
    pub token: Option<&'a str>,
    pub server_address: Option<&'a str>,
    pub port: Option<&'a str>,
    pub connection_type: Option<&'a str>,
}

const HOST_MAX: usize = 253;
const URL_MAX: usize = 2000;
const TOKEN_MAX: usize = 512;

fn present(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

impl Destination {
    /// The destination the fields describe. `token_required` is false where a stored token
    /// may stand in for a missing one (an update, or a test of a saved setting).
    pub fn parse(f: DestinationFields<'_>, token_required: bool) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        match f.type_id {
            Some(TYPE_SPLUNK) => {
                let api_url = present(f.api_url).unwrap_or("");
                if api_url.is_empty() {
                    errors.push("apiUrl is required for Splunk".to_owned());
                } else if api_url.len() > URL_MAX {
                    errors.push(format!("apiUrl must be at most {URL_MAX} characters"));
                } else if !(api_url.starts_with("https://") || api_url.starts_with("http://"))
                    || api_url.contains(char::is_whitespace)
                {
                    errors.push(format!(
                        "apiUrl '{api_url}' must be an http:// or https:// URL of the HTTP Event Collector"
                    ));
                }
                let token = present(f.token);
                match token {
                    None if token_required => {
                        errors.push("token is required for Splunk".to_owned());
                    }
                    Some(t) if t.len() > TOKEN_MAX || t.chars().any(char::is_control) => {
                        errors.push(format!(
                            "token must be at most {TOKEN_MAX} printable characters"
                        ));
                    }
                    _ => {}
                }
                if errors.is_empty() {
                    return Ok(Self::Splunk {
                        api_url: api_url.to_owned(),
                        token: token.map(str::to_owned),
                    });
                }
            }
            Some(TYPE_SYSLOG) => {
                let host = present(f.server_address).unwrap_or("");
                if host.is_empty() {
                    errors.push("serverAddress is required for Syslog".to_owned());
                } else if host.len() > HOST_MAX
                    || !host
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
                {
                    errors.push(format!(
                        "serverAddress '{host}' must be a host name or an IP address"
                    ));
                }
                let port = match present(f.port).map(str::parse::<u32>) {
                    None => {
                        errors.push("port is required for Syslog".to_owned());
                        None
                    }
                    Some(Ok(p)) if (1..=65535).contains(&p) => u16::try_from(p).ok(),
                    Some(_) => {
                        errors.push(format!(
                            "port '{}' must be a number from 1 to 65535",
                            f.port.unwrap_or("").trim()
                        ));
                        None
                    }
                };
                let transport = match present(f.connection_type) {
                    None => {
                        errors.push(
                            "connectionType is required for Syslog: UDP, TCP or TLS".to_owned(),
                        );
                        None
                    }
                    Some(t) => {
                        let parsed = Transport::parse(t);
                        if parsed.is_none() {
                            errors.push(format!("connectionType '{t}' must be UDP, TCP or TLS"));
                        }
                        parsed
                    }
                };
                if let (true, Some(port), Some(transport)) = (errors.is_empty(), port, transport) {
                    return Ok(Self::Syslog {
                        server_address: host.to_owned(),
                        port,
                        transport,
                    });
                }
            }
            Some(other) => errors.push(format!(
                "typeId {other} is not known: 1 (Splunk) or 2 (Syslog)"
            )),
            None => errors.push("typeId is required: 1 (Splunk) or 2 (Syslog)".to_owned()),
        }
        Err(errors)
    }

    pub fn type_id(&self) -> i64 {
        match self {
            Self::Splunk { .. } => TYPE_SPLUNK,
            Self::Syslog { .. } => TYPE_SYSLOG,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syslog(port: &str, kind: &str) -> Result<Destination, Vec<String>> {
        Destination::parse(
            DestinationFields {
                type_id: Some(TYPE_SYSLOG),
                server_address: Some("siem.example.com"),
                port: Some(port),
                connection_type: Some(kind),
                ..Default::default()
            },
            true,
        )
    }

    #[test]
    fn syslog_ports_and_transports_are_checked() {
        assert_eq!(
            syslog("6514", "tls"),
            Ok(Destination::Syslog {
                server_address: "siem.example.com".into(),
                port: 6514,
                transport: Transport::Tls
            })
        );
        assert!(syslog("514", "Udp").is_ok() && syslog("1", "TCP").is_ok());
        for bad in ["0", "65536", "-1", "x", ""] {
            assert!(syslog(bad, "TCP").is_err(), "{bad}");
        }
        assert_eq!(
            syslog("514", "RELP"),
            Err(vec![
                "connectionType 'RELP' must be UDP, TCP or TLS".to_owned()
            ])
        );
    }

    #[test]
    fn splunk_needs_a_url_and_a_token_where_none_is_stored() {
        let splunk = |url: &str, token: Option<&str>, required| {
            Destination::parse(
                DestinationFields {
                    type_id: Some(TYPE_SPLUNK),
                    api_url: Some(url),
                    token,
                    ..Default::default()
                },
                required,
            )
        };
        assert!(splunk("https://hec.example.com:8088", Some("t"), true).is_ok());
        assert!(splunk("https://hec.example.com:8088", None, true).is_err());
        assert!(splunk("https://hec.example.com:8088", None, false).is_ok());
        assert!(splunk("ftp://x", Some("t"), true).is_err());
        assert!(
            Destination::parse(
                DestinationFields {
                    type_id: Some(3),
                    ..Default::default()
                },
                true
            )
            .is_err()
        );
    }
}
