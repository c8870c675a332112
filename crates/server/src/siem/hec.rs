//! Splunk HTTP Event Collector: batches of events as concatenated JSON objects, sent with
//! `Authorization: Splunk <token>` and a request channel.
//!
//! With indexer acknowledgment on, the collector answers an `ackId`, and a batch counts as
//! delivered only once `…/services/collector/ack` says it was indexed; until then (or when
//! the ack does not come in time) it is not, and it is sent again. Without it, the collector
//! answers no `ackId` and its `Success` is all there is to know. The channel header is sent
//! either way: a collector without acknowledgment ignores it.

use std::time::{Duration, Instant};

use serde_json::Value;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a batch waits for its acknowledgment before it is sent again.
const ACK_TIMEOUT: Duration = Duration::from_secs(60);
const ACK_POLL: Duration = Duration::from_millis(100);

/// A sender to one collector.
pub struct HecSender {
    http: reqwest::Client,
    event_url: String,
    ack_url: String,
    authorization: String,
    channel: String,
}

/// The event and ack endpoints of a collector URL: its base, `…/services/collector` or
/// `…/services/collector/event`.
fn endpoints(api_url: &str) -> (String, String) {
    let base = api_url.trim_end_matches('/');
    let collector = if let Some(b) = base.strip_suffix("/services/collector/event") {
        format!("{b}/services/collector")
    } else if base.ends_with("/services/collector") {
        base.to_owned()
    } else {
        format!("{base}/services/collector")
    };
    (format!("{collector}/event"), format!("{collector}/ack"))
}

/// What the collector said, as its `text` and `code`.
fn said(status: reqwest::StatusCode, body: &Value) -> String {
    match (body["text"].as_str(), body["code"].as_i64()) {
        (Some(text), Some(code)) => format!("HTTP {}: {text} (code {code})", status.as_u16()),
        _ => format!("HTTP {}", status.as_u16()),
    }
}

impl HecSender {
    pub fn new(api_url: &str, token: &str, ca_pem: Option<&str>) -> Result<Self, String> {
        let tls = super::tls::client_config(ca_pem)?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls((*tls).clone())
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("latchkey/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        let (event_url, ack_url) = endpoints(api_url);
        Ok(Self {
            http,
            event_url,
            ack_url,
            authorization: format!("Splunk {token}"),
            channel: uuid::Uuid::new_v4().to_string(),
        })
    }

    async fn post(&self, url: &str, body: Vec<u8>) -> Result<(reqwest::StatusCode, Value), String> {
        let response = self
            .http
            .post(url)
            .header("Authorization", &self.authorization)
            .header("X-Splunk-Request-Channel", &self.channel)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| format!("{url}: reading the answer: {e}"))?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// Sends `events` in one request and, when the collector acknowledges, waits until it has
    /// indexed them. Answers what the collector said.
    pub async fn send(&self, events: &[Value]) -> Result<String, String> {
        let mut body = Vec::new();
        for e in events {
            serde_json::to_writer(&mut body, e).map_err(|e| e.to_string())?;
            body.push(b'\n');
        }
        let (status, answer) = self.post(&self.event_url, body).await?;
        if !status.is_success() || answer["code"].as_i64().unwrap_or(0) != 0 {
            return Err(format!(
                "the collector refused the events: {}",
                said(status, &answer)
            ));
        }
        let Some(ack) = answer["ackId"].as_i64() else {
            return Ok(said(status, &answer));
        };
        let started = Instant::now();
        loop {
            let body = serde_json::to_vec(&serde_json::json!({"acks": [ack]}))
                .map_err(|e| e.to_string())?;
            let (status, answer) = self.post(&self.ack_url, body).await?;
            if !status.is_success() {
                return Err(format!(
                    "asking for acknowledgment {ack}: {}",
                    said(status, &answer)
                ));
            }
            if answer["acks"][ack.to_string()].as_bool() == Some(true) {
                return Ok(format!(
                    "{} (acknowledged as indexed)",
                    said(status, &answer)
                ));
            }
            if started.elapsed() > ACK_TIMEOUT {
                return Err(format!(
                    "the collector did not acknowledge batch {ack} as indexed within {} s",
                    ACK_TIMEOUT.as_secs()
                ));
            }
            tokio::time::sleep(ACK_POLL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::endpoints;

    #[test]
    fn collector_urls_are_completed() {
        for url in [
            "https://hec:8088",
            "https://hec:8088/",
            "https://hec:8088/services/collector",
            "https://hec:8088/services/collector/event",
        ] {
            assert_eq!(
                endpoints(url),
                (
                    "https://hec:8088/services/collector/event".to_owned(),
                    "https://hec:8088/services/collector/ack".to_owned()
                ),
                "{url}"
            );
        }
    }
}
