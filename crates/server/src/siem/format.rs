//! What a record looks like at the receiver: CEF inside RFC 5424 syslog, or a Splunk HEC
//! event.
//!
//! The CEF line follows what the platform documents, so that SIEM rules written for it keep
//! matching: `CEF:0|<vendor>|<product>|<version>|<Operation>|<Operation>|Low|` with `src` the
//! IP, `cs1` the entity name, `cs2` the old value, `cs3` the new value (and their labels).
//! Beyond that it carries `externalId` (the record's id, for de-duplication: delivery is at
//! least once), `rt`, `suser`, `requestClientApplication`, `msg`, and the chain position and
//! hash, so that a receiver can check the chain as `latchkey admin audit verify` does.
//!
//! The syslog frame is RFC 5424 with an SD element `[latchkey@32473 …]` naming the record
//! (32473 is the private enterprise number RFC 5612 reserves for documentation; an operator
//! matches on the SD-ID's name). The message is built here rather than by a syslog crate:
//! the crates that format RFC 5424 also own the socket (no octet counting over TLS, no
//! control over when a write counts as delivered), and the format is a few escaping rules,
//! each tested below.

use latchkey_domain::time::millis_to_rfc3339;
use latchkey_store::audit::AuditRecord;
use serde_json::{Value, json};

/// Facility 13 (log audit), severity 6 (informational).
const PRI: u8 = 13 * 8 + 6;
/// RFC 5424's limit for APP-NAME is 48 printable characters.
const APP_NAME: &str = "latchkey";
const SD_ID: &str = "latchkey@32473";

/// Who the receiver sees as the sender.
#[derive(Debug, Clone)]
pub struct Source {
    pub vendor: String,
    pub product: String,
    pub version: &'static str,
    /// The HOSTNAME field: this machine's name, printable ASCII, at most 255.
    pub hostname: String,
    /// The company whose log this is.
    pub company_resource_id: String,
}

impl Source {
    pub fn new(vendor: &str, product: &str, company_resource_id: &str) -> Self {
        let host = hostname::get()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_default();
        Self {
            vendor: vendor.to_owned(),
            product: product.to_owned(),
            version: env!("CARGO_PKG_VERSION"),
            hostname: printable(&host, 255, "-"),
            company_resource_id: company_resource_id.to_owned(),
        }
    }
}

/// Printable US-ASCII (33–126), cut to `max`, or `nil` when nothing is left.
fn printable(s: &str, max: usize, nil: &str) -> String {
    let out: String = s
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if out.is_empty() { nil.to_owned() } else { out }
}

/// A CEF header field: `\` and `|` escaped, no line breaks.
fn cef_header(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A CEF extension value: `\` and `=` escaped, line breaks as `\n` and `\r`.
fn cef_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '=' => out.push_str("\\="),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// An RFC 5424 PARAM-VALUE: `"`, `\` and `]` escaped.
fn sd_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The CEF line of a record.
pub fn cef(source: &Source, r: &AuditRecord) -> String {
    let operation = r.operation_name();
    let mut ext: Vec<(&str, String)> = vec![
        ("rt", r.log_time.to_string()),
        ("externalId", r.resource_id.clone()),
        ("suser", r.user_name.clone()),
    ];
    if let Some(ip) = &r.ip {
        ext.push(("src", ip.clone()));
    }
    if let Some(ua) = &r.user_agent {
        ext.push(("requestClientApplication", ua.clone()));
    }
    ext.extend([
        ("cs1Label", "EntityName".to_owned()),
        ("cs1", r.entity_name.clone()),
        ("cs2Label", "Old Value".to_owned()),
        ("cs2", r.old_value.clone().unwrap_or_default()),
        ("cs3Label", "New Value".to_owned()),
        ("cs3", r.new_value.clone().unwrap_or_default()),
        ("cs4Label", "EntityResourceId".to_owned()),
        ("cs4", r.entity_resource_id.clone()),
        ("cs5Label", "CompanyResourceId".to_owned()),
        ("cs5", source.company_resource_id.clone()),
        ("cs6Label", "Hash".to_owned()),
        ("cs6", r.hash.clone()),
        ("cn1Label", "Sequence".to_owned()),
        ("cn1", r.seq.to_string()),
        ("msg", r.description.clone()),
    ]);
    let extension: Vec<String> = ext
        .into_iter()
        .map(|(k, v)| format!("{k}={}", cef_value(&v)))
        .collect();
    format!(
        "CEF:0|{}|{}|{}|{}|{}|Low|{}",
        cef_header(&source.vendor),
        cef_header(&source.product),
        cef_header(source.version),
        operation,
        operation,
        extension.join(" ")
    )
}

/// The RFC 5424 message of a record, its payload the CEF line.
pub fn syslog(source: &Source, r: &AuditRecord) -> String {
    let timestamp = millis_to_rfc3339(r.log_time);
    format!(
        "<{PRI}>1 {timestamp} {} {APP_NAME} - {} [{SD_ID} id=\"{}\" company=\"{}\" seq=\"{}\" hash=\"{}\" prevHash=\"{}\"] {}",
        source.hostname,
        printable(r.operation_name(), 32, "-"),
        sd_value(&r.resource_id),
        sd_value(&source.company_resource_id),
        r.seq,
        sd_value(&r.hash),
        sd_value(&r.prev_hash),
        cef(source, r)
    )
}

/// A JSON value from a stored text: the JSON it holds, or the text itself.
fn json_of(text: &Option<String>) -> Value {
    match text {
        None => Value::Null,
        Some(t) => serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.clone())),
    }
}

/// The HEC event of a record: the audit log's own field names, with the chain position.
pub fn hec_event(source: &Source, r: &AuditRecord) -> Value {
    json!({
        "time": r.log_time as f64 / 1000.0,
        "host": source.hostname,
        "source": "latchkey",
        "sourcetype": "latchkey:audit",
        "event": {
            "resourceId": r.resource_id,
            "companyResourceId": source.company_resource_id,
            "logDate": millis_to_rfc3339(r.log_time),
            "userName": r.user_name,
            "actorKind": r.actor_kind,
            "entityName": r.entity_name,
            "entityResourceId": r.entity_resource_id,
            "operation": r.operation_name(),
            "oldValue": json_of(&r.old_value),
            "newValue": json_of(&r.new_value),
            "ip": r.ip,
            "userAgent": r.user_agent,
            "auditDescription": r.description,
            "sequence": r.seq,
            "previousHash": r.prev_hash,
            "hash": r.hash,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> AuditRecord {
        AuditRecord {
            resource_id: "AbCdEfGhIjKl".into(),
            company_id: 7,
            seq: 42,
            log_time: 1_700_000_000_123,
            actor_kind: "Client".into(),
            user_key: 3,
            user_name: "SIEM | export".into(),
            entity_name: "Client".into(),
            entity_resource_id: "ZyXwVuTsRqPo".into(),
            operation: 1,
            old_value: Some(r#"{"name":"a=b\\c"}"#.into()),
            new_value: Some("line one\nline two".into()),
            ip: Some("203.0.113.9".into()),
            user_agent: Some("curl/8.5".into()),
            description: "Client 'x' updated".into(),
            prev_hash: "00".into(),
            hash: "ff".into(),
        }
    }

    fn source() -> Source {
        Source {
            vendor: "Keepnet Labs".into(),
            product: "Latch|key".into(),
            version: "1.0",
            hostname: "host".into(),
            company_resource_id: "Company]\"X".into(),
        }
    }

    #[test]
    fn cef_escapes_header_and_extension_values() {
        let line = cef(&source(), &record());
        assert!(
            line.starts_with("CEF:0|Keepnet Labs|Latch\\|key|1.0|Update|Update|Low|rt="),
            "{line}"
        );
        assert!(line.contains(r#"cs2={"name":"a\=b\\\\c"}"#), "{line}");
        assert!(line.contains("cs3=line one\\nline two "), "{line}");
        assert!(line.contains("suser=SIEM | export "), "{line}");
        assert!(line.contains("src=203.0.113.9 "), "{line}");
        assert!(line.contains("externalId=AbCdEfGhIjKl "), "{line}");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn syslog_is_rfc5424_with_the_record_in_structured_data() {
        let msg = syslog(&source(), &record());
        assert!(
            msg.starts_with("<110>1 2023-11-14T22:13:20.123Z host latchkey - Update [latchkey@32473 id=\"AbCdEfGhIjKl\" company=\"Company\\]\\\"X\" seq=\"42\""),
            "{msg}"
        );
        assert!(msg.contains("\"] CEF:0|"), "{msg}");
    }

    #[test]
    fn hec_events_carry_values_as_json() {
        let e = hec_event(&source(), &record());
        assert_eq!(e["event"]["oldValue"]["name"], "a=b\\c");
        assert_eq!(e["event"]["newValue"], "line one\nline two");
        assert_eq!(e["event"]["sequence"], 42);
        assert_eq!(e["time"], 1_700_000_000.123);
    }
}
