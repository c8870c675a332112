//! The HEC receiver speaks Splunk's protocol: checked here with a plain HTTP client.

use std::time::{Duration, Instant};

use latchkey_testkit::hec::{CHANNEL_HEADER, HecFault, HecOptions, HecReceiver};
use reqwest::StatusCode;
use serde_json::{Value, json};

const TOKEN: &str = "11111111-2222-3333-4444-555555555555";
const CHANNEL: &str = "0B9A3D6E-7C1F-4E2A-9D5B-3F8E6A1C2B4D";

async fn receiver(ack: bool) -> HecReceiver {
    HecReceiver::start(HecOptions {
        token: TOKEN.to_owned(),
        ack,
    })
    .await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("HTTP client")
}

async fn post(
    hec: &HecReceiver,
    path: &str,
    authorization: Option<&str>,
    channel: Option<&str>,
    body: &str,
) -> (StatusCode, Value) {
    let mut request = client()
        .post(format!("{}{path}", hec.url()))
        .body(body.to_owned());
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    if let Some(channel) = channel {
        request = request.header(CHANNEL_HEADER, channel);
    }
    let response = request.send().await.expect("HEC answers");
    let status = response.status();
    let body = response.json().await.expect("HEC answers JSON");
    (status, body)
}

async fn send(hec: &HecReceiver, channel: Option<&str>, body: &str) -> (StatusCode, Value) {
    post(
        hec,
        "/services/collector/event",
        Some(&format!("Splunk {TOKEN}")),
        channel,
        body,
    )
    .await
}

async fn ask_acks(hec: &HecReceiver, channel: &str, ids: &[u64]) -> (StatusCode, Value) {
    post(
        hec,
        &format!("/services/collector/ack?channel={channel}"),
        Some(&format!("Splunk {TOKEN}")),
        None,
        &json!({ "acks": ids }).to_string(),
    )
    .await
}

const ONE: &str = r#"{"time":1700000000.5,"host":"h","source":"latchkey","sourcetype":"latchkey:audit","index":"main","event":{"action":"user.created"},"fields":{"company":"c1"}}"#;

#[tokio::test]
async fn the_token_is_checked_with_splunks_codes() {
    let hec = receiver(false).await;
    let path = "/services/collector/event";

    let (status, body) = post(&hec, path, None, None, ONE).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"text": "Token is required", "code": 2}));

    let (status, body) = post(&hec, path, Some(&format!("Bearer {TOKEN}")), None, ONE).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], 3);

    let (status, body) = post(&hec, path, Some("Splunk wrong"), None, ONE).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, json!({"text": "Invalid token", "code": 4}));

    let (status, body) = send(&hec, None, ONE).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"text": "Success", "code": 0}));
    assert_eq!(hec.events().len(), 1);
    assert_eq!(hec.requests(), 4);
}

#[tokio::test]
async fn concatenated_events_are_stored_in_order_on_both_paths() {
    let hec = receiver(false).await;
    let body = format!(
        "{ONE}\n{}  {}\r\n",
        json!({"event": "plain text"}),
        json!({"time": "1700000001", "event": {"n": 3}})
    );
    let (status, _) = send(&hec, None, &body).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = post(
        &hec,
        "/services/collector",
        Some(&format!("Splunk {TOKEN}")),
        None,
        ONE,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    assert!(hec.wait_for(4, Duration::from_secs(1)).await);
    let events = hec.events();
    assert_eq!(events.len(), 4);
    assert_eq!(events[0]["sourcetype"], "latchkey:audit");
    assert_eq!(events[0]["fields"]["company"], "c1");
    assert_eq!(
        hec.event_bodies(),
        vec![
            json!({"action": "user.created"}),
            json!("plain text"),
            json!({"n": 3}),
            json!({"action": "user.created"}),
        ]
    );
    assert!(!hec.wait_for(5, Duration::from_millis(50)).await);
}

#[tokio::test]
async fn bad_bodies_are_rejected_whole() {
    let hec = receiver(false).await;
    let cases = [
        ("", json!({"text": "No data", "code": 5})),
        (" \n", json!({"text": "No data", "code": 5})),
        (
            &format!("[{ONE}]"),
            json!({"text": "Invalid data format", "code": 6, "invalid-event-number": 0}),
        ),
        (
            &format!("{ONE}{{\"event\": "),
            json!({"text": "Invalid data format", "code": 6, "invalid-event-number": 1}),
        ),
        (
            &format!("{ONE}{ONE}{{\"time\": 1}}"),
            json!({"text": "Event field is required", "code": 12, "invalid-event-number": 2}),
        ),
        (
            r#"{"event": ""}"#,
            json!({"text": "Event field cannot be blank", "code": 13, "invalid-event-number": 0}),
        ),
        (
            r#"{"event": "x", "time": "yesterday"}"#,
            json!({"text": "Invalid data format", "code": 6, "invalid-event-number": 0}),
        ),
        (
            r#"{"event": "x", "fields": {"nested": {"a": 1}}}"#,
            json!({"text": "Error in handling indexed fields", "code": 15, "invalid-event-number": 0}),
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = send(&hec, None, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer, expected, "{body}");
    }
    assert!(hec.events().is_empty());
}

#[tokio::test]
async fn health_answers_code_17() {
    let hec = receiver(false).await;
    let response = client()
        .get(format!("{}/services/collector/health", hec.url()))
        .send()
        .await
        .expect("health answers");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body, json!({"text": "HEC is healthy", "code": 17}));
}

#[tokio::test]
async fn with_acknowledgment_a_channel_is_required_and_acks_are_read_once() {
    let hec = receiver(true).await;

    let (status, body) = send(&hec, None, ONE).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"text": "Data channel is missing", "code": 10}));
    let (status, body) = send(&hec, Some("not-a-guid"), ONE).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], 11);
    assert!(hec.events().is_empty());

    let (status, body) = send(&hec, Some(CHANNEL), ONE).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"text": "Success", "code": 0, "ackId": 0}));
    // The channel may also come in the query.
    let (status, body) = post(
        &hec,
        &format!("/services/collector/event?channel={CHANNEL}"),
        Some(&format!("Splunk {TOKEN}")),
        None,
        ONE,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ackId"], 1);
    // Each channel counts on its own.
    let other = "6f1c2a3b-0000-4000-8000-000000000001";
    let (_, body) = send(&hec, Some(other), ONE).await;
    assert_eq!(body["ackId"], 0);
    assert_eq!(hec.channels().len(), 2);

    let (status, body) = ask_acks(&hec, CHANNEL, &[0, 1, 7]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"acks": {"0": true, "1": true, "7": false}}));
    // Read once: reported true, then forgotten.
    let (_, body) = ask_acks(&hec, CHANNEL, &[0, 1]).await;
    assert_eq!(body, json!({"acks": {"0": false, "1": false}}));
    let (_, body) = ask_acks(&hec, other, &[0]).await;
    assert_eq!(body, json!({"acks": {"0": true}}));
}

#[tokio::test]
async fn an_ack_turns_true_after_the_indexing_delay() {
    let delay = Duration::from_secs(2);
    let hec = receiver(true).await;
    hec.set_ack_delay(delay);
    let sent_at = Instant::now();
    let (_, body) = send(&hec, Some(CHANNEL), ONE).await;
    assert_eq!(body["ackId"], 0);
    // Received at once, acknowledged later.
    assert_eq!(hec.events().len(), 1);
    let (_, body) = ask_acks(&hec, CHANNEL, &[0]).await;
    assert_eq!(body, json!({"acks": {"0": false}}));
    let deadline = sent_at + Duration::from_secs(10);
    loop {
        let (_, body) = ask_acks(&hec, CHANNEL, &[0]).await;
        if body == json!({"acks": {"0": true}}) {
            assert!(sent_at.elapsed() >= delay);
            break;
        }
        assert!(Instant::now() < deadline, "the ack never turned true");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn without_acknowledgment_the_ack_endpoint_is_disabled() {
    let hec = receiver(false).await;
    let (status, body) = ask_acks(&hec, CHANNEL, &[0]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"text": "ACK is disabled", "code": 14}));
    // A channel is accepted but no ackId given.
    let (_, body) = send(&hec, Some(CHANNEL), ONE).await;
    assert_eq!(body, json!({"text": "Success", "code": 0}));
}

#[tokio::test]
async fn busy_answers_503_and_stores_nothing() {
    let hec = receiver(false).await;
    hec.set_fault(HecFault::Busy503);
    let (status, body) = send(&hec, None, ONE).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, json!({"text": "Server is busy", "code": 9}));
    assert!(hec.events().is_empty());
    hec.set_fault(HecFault::None);
    let (status, _) = send(&hec, None, ONE).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hec.events().len(), 1);
    let statuses: Vec<_> = hec.log().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![Some(503), Some(200)]);
}

#[tokio::test]
async fn requests_can_be_awaited_while_nothing_is_stored() {
    let hec = receiver(false).await;
    hec.set_fault(HecFault::Busy503);
    let sender = tokio::spawn({
        let url = hec.event_url();
        async move {
            for _ in 0..3 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let _ = client()
                    .post(&url)
                    .header("authorization", format!("Splunk {TOKEN}"))
                    .body(ONE)
                    .send()
                    .await;
            }
        }
    });
    assert!(hec.wait_for_requests(3, Duration::from_secs(5)).await);
    assert!(!hec.wait_for(1, Duration::from_millis(50)).await);
    sender.await.expect("sender");

    hec.clear();
    assert_eq!(hec.requests(), 0);
    assert!(hec.log().is_empty());
}

/// Sends on one client, so that the second request reuses the pooled connection.
async fn send_on(client: &reqwest::Client, hec: &HecReceiver) -> reqwest::Result<StatusCode> {
    client
        .post(hec.event_url())
        .header("authorization", format!("Splunk {TOKEN}"))
        .body(ONE)
        .send()
        .await
        .map(|r| r.status())
}

#[tokio::test]
async fn reset_drops_new_and_pooled_connections_without_an_answer() {
    let hec = receiver(false).await;
    let pooled = client();
    assert_eq!(
        send_on(&pooled, &hec).await.expect("answer"),
        StatusCode::OK
    );

    hec.set_fault(HecFault::Reset);
    let error = send_on(&pooled, &hec).await.expect_err("connection reset");
    assert!(!error.is_timeout(), "{error:?}");
    let error = send_on(&client(), &hec)
        .await
        .expect_err("connection reset");
    assert!(!error.is_timeout(), "{error:?}");
    assert_eq!(hec.events().len(), 1);

    hec.set_fault(HecFault::None);
    assert_eq!(
        send_on(&client(), &hec).await.expect("answer"),
        StatusCode::OK
    );
    assert_eq!(hec.events().len(), 2);
}

#[tokio::test]
async fn hang_never_answers_until_the_client_gives_up() {
    let hec = receiver(false).await;
    hec.set_fault(HecFault::Hang);
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("HTTP client");
    let error = send_on(&impatient, &hec).await.expect_err("no answer");
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(hec.requests(), 1);
    assert!(hec.events().is_empty());

    // A request hanging when the fault is cleared is dropped, not answered late.
    let hanging = tokio::spawn({
        let url = hec.event_url();
        async move {
            client()
                .post(url)
                .header("authorization", format!("Splunk {TOKEN}"))
                .body(ONE)
                .send()
                .await
                .map(|r| r.status())
        }
    });
    assert!(hec.wait_for_requests(2, Duration::from_secs(5)).await);
    hec.set_fault(HecFault::None);
    let outcome = hanging.await.expect("request task");
    assert!(outcome.is_err(), "{outcome:?}");
    assert!(hec.events().is_empty());
    assert_eq!(
        send_on(&client(), &hec).await.expect("answer"),
        StatusCode::OK
    );
}

#[tokio::test]
async fn stop_refuses_connections_and_restart_takes_the_same_port() {
    let hec = receiver(false).await;
    let pooled = client();
    let url = hec.url();
    assert_eq!(
        send_on(&pooled, &hec).await.expect("answer"),
        StatusCode::OK
    );

    hec.stop().await;
    let error = send_on(&pooled, &hec).await.expect_err("receiver down");
    assert!(!error.is_timeout(), "{error:?}");
    let error = send_on(&client(), &hec).await.expect_err("receiver down");
    assert!(error.is_connect(), "{error:?}");

    hec.restart().await;
    assert_eq!(hec.url(), url);
    assert_eq!(
        send_on(&pooled, &hec).await.expect("answer"),
        StatusCode::OK
    );
    assert_eq!(hec.events().len(), 2);
}
