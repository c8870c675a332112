//! SIEM forwarding to real receivers: Debian's rsyslog over TCP (octet counting), UDP and TLS
//! (rsyslog-gnutls, with a test CA), and a Splunk HEC receiver that implements the documented
//! endpoints with indexer acknowledgment and fault switches. Every record of the company's
//! log must arrive, through receiver outages and a `kill -9` of Latchkey; duplicates are
//! what at-least-once allows, and are counted.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use latchkey_testkit::hec::{HecFault, HecOptions, HecReceiver};
use latchkey_testkit::rsyslog::{Rsyslog, RsyslogOptions};
use latchkey_testkit::{TestApp, fresh_database_url};
use reqwest::Method;
use serde_json::{Value, json};

use crate::binary::{serve_with_env, terminate};
use crate::helpers::{call, expect_data};

const SETTINGS: &str = "/api/companies/siem-settings";
const ARRIVAL: Duration = Duration::from_secs(60);

/// Retries come quickly in tests; the lease is short so that takeovers are quick.
fn quick(config: &mut latchkey_server::config::Config) {
    config.siem_retry_max_seconds = 1;
    config.siem_lease_seconds = 3;
}

fn syslog_setting(name: &str, host: &str, port: u16, kind: &str) -> Value {
    json!({"name": name, "typeId": 2, "statusId": 1, "isForwardHistoricalAuditLog": true,
        "serverAddress": host, "port": port.to_string(), "connectionType": kind})
}

async fn create_setting(http: &reqwest::Client, base: &str, token: &str, body: Value) -> String {
    let answer: Value = http
        .post(format!("{base}{SETTINGS}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    assert_eq!(answer["status"], "SUCCESS", "{answer}");
    answer["data"]["resourceId"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// `n` changes: company groups created by the caller.
async fn changes(http: &reqwest::Client, base: &str, token: &str, prefix: &str, n: usize) {
    for i in 0..n {
        let answer: Value = http
            .post(format!("{base}/api/company-groups"))
            .bearer_auth(token)
            .json(&json!({"name": format!("{prefix} {i}"), "companyResourceIdArray": []}))
            .send()
            .await
            .expect("change")
            .json()
            .await
            .expect("json");
        assert_eq!(answer["status"], "SUCCESS", "{answer}");
    }
}

/// Every record id of the caller's audit log.
async fn audit_ids(http: &reqwest::Client, base: &str, token: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for page in 1.. {
        let answer: Value = http
            .post(format!("{base}/api/audit-logs/search"))
            .bearer_auth(token)
            .json(&json!({"pageNumber": page, "pageSize": 500, "orderBy": "Sequence", "ascending": true}))
            .send()
            .await
            .expect("audit search")
            .json()
            .await
            .expect("json");
        let rows = answer["data"]["results"]
            .as_array()
            .expect("results")
            .clone();
        ids.extend(
            rows.iter()
                .map(|r| r["resourceId"].as_str().expect("id").to_owned()),
        );
        if rows.len() < 500 {
            break;
        }
    }
    ids
}

/// The CEF `externalId` of a syslog message.
fn external_id(message: &str) -> Option<String> {
    let rest = message.split(" externalId=").nth(1)?;
    Some(rest.split(' ').next()?.to_owned())
}

/// The record ids rsyslog has received, duplicates included.
fn sent_ids(rsyslog: &Rsyslog) -> Vec<String> {
    rsyslog
        .messages()
        .iter()
        .filter_map(|m| external_id(m))
        .collect()
}

/// How often each record id arrived.
fn arrivals(ids: impl IntoIterator<Item = String>) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for id in ids {
        *seen.entry(id).or_insert(0) += 1;
    }
    seen
}

/// Waits until `received` holds every one of `expected`; answers the duplicates, or what
/// is missing.
async fn arrived(
    what: &str,
    expected: &[String],
    mut received: impl FnMut() -> Vec<String>,
) -> Result<usize, String> {
    let started = Instant::now();
    loop {
        let seen = arrivals(received());
        let missing: Vec<&String> = expected
            .iter()
            .filter(|id| !seen.contains_key(*id))
            .collect();
        if missing.is_empty() {
            let duplicates: usize = seen.values().map(|n| n - 1).sum();
            println!(
                "{what}: {} records arrived, {duplicates} duplicates",
                expected.len()
            );
            return Ok(duplicates);
        }
        if started.elapsed() > ARRIVAL {
            return Err(format!(
                "{what}: {} of {} records never arrived, e.g. {:?}",
                missing.len(),
                expected.len(),
                &missing[..missing.len().min(5)]
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn every_record_arrives(
    what: &str,
    expected: &[String],
    received: impl FnMut() -> Vec<String>,
) -> usize {
    arrived(what, expected, received)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// rsyslog with its TCP input only.
async fn rsyslog_tcp() -> Rsyslog {
    Rsyslog::start(RsyslogOptions {
        tcp: true,
        udp: false,
        tls: false,
    })
    .await
}

async fn delivery(app: &TestApp, token: &str, id: &str) -> Value {
    expect_data(
        call(
            app,
            Method::GET,
            &format!("{SETTINGS}/{id}"),
            token,
            None,
            None,
        )
        .await,
    )
    .await["delivery"]
        .clone()
}

/// Waits until the destination's delivery state satisfies `want`.
async fn delivery_becomes(
    app: &TestApp,
    token: &str,
    id: &str,
    want: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let d = delivery(app, token, id).await;
        if want(&d) {
            return d;
        }
        assert!(
            started.elapsed() < ARRIVAL,
            "delivery state never matched: {d}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_whole_log_reaches_rsyslog_over_tcp_udp_and_tls_as_cef() {
    let rsyslog = Rsyslog::start(RsyslogOptions::default()).await;
    let app = TestApp::spawn_with(quick).await;
    let token = app.reseller_token().await;
    let http = &app.http;
    let base = app.base.as_str();
    changes(http, base, &token, "Before", 5).await;
    let tcp = create_setting(
        http,
        base,
        &token,
        syslog_setting("TCP", "127.0.0.1", rsyslog.tcp_port(), "tcp"),
    )
    .await;
    create_setting(
        http,
        base,
        &token,
        syslog_setting("UDP", "127.0.0.1", rsyslog.udp_port(), "UDP"),
    )
    .await;
    let mut tls = syslog_setting("TLS", "localhost", rsyslog.tls_port(), "Tls");
    tls["caCertificate"] = json!(rsyslog.ca_pem());
    create_setting(http, base, &token, tls).await;
    changes(http, base, &token, "After", 5).await;

    let expected = audit_ids(http, base, &token).await;
    assert!(expected.len() >= 14, "{expected:?}");
    for input in ["tcp", "udp", "tls"] {
        every_record_arrives(input, &expected, || {
            rsyslog
                .records()
                .iter()
                .filter(|r| r["input"] == input)
                .filter_map(|r| external_id(r["msg"].as_str().unwrap_or("")))
                .collect()
        })
        .await;
    }

    // What a receiver sees: RFC 5424 with the record in structured data, CEF as documented.
    let records = rsyslog.records();
    let group = records
        .iter()
        .find(|r| {
            r["input"] == "tcp"
                && r["msg"]
                    .as_str()
                    .is_some_and(|m| m.contains("cs1=CompanyGroup"))
        })
        .expect("a company group record");
    assert_eq!(group["app_name"], "latchkey");
    assert_eq!(group["msgid"], "Create");
    assert_eq!(group["facility"], "13", "log audit: {group}");
    assert!(
        group["structured_data"]
            .as_str()
            .expect("sd")
            .starts_with("[latchkey@32473 id=\""),
        "{group}"
    );
    let cef = group["msg"].as_str().expect("msg");
    assert!(
        cef.starts_with("CEF:0|Keepnet Labs|Latchkey|") && cef.contains("|Create|Create|Low|"),
        "{cef}"
    );
    for field in [
        "cs1Label=EntityName",
        "cs2Label=Old Value",
        "cs3Label=New Value",
        "suser=",
        "cs6Label=Hash",
    ] {
        assert!(cef.contains(field), "{field}: {cef}");
    }

    // The state says it: active, nothing left, a delivery time.
    let d = delivery_becomes(&app, &token, &tcp, |d| d["backlog"] == 0).await;
    assert_eq!(d["state"], "Active", "{d}");
    assert!(d["lastDeliveryTime"].is_string(), "{d}");
}

#[tokio::test]
async fn a_destination_not_forwarding_history_starts_at_its_creation() {
    let rsyslog = rsyslog_tcp().await;
    let app = TestApp::spawn_with(quick).await;
    let token = app.reseller_token().await;
    let (http, base) = (&app.http, app.base.as_str());
    changes(http, base, &token, "Old", 3).await;
    let before = audit_ids(http, base, &token).await;
    let mut body = syslog_setting("New only", "127.0.0.1", rsyslog.tcp_port(), "TCP");
    body["isForwardHistoricalAuditLog"] = json!(false);
    create_setting(http, base, &token, body).await;
    changes(http, base, &token, "New", 3).await;
    let after: Vec<String> = audit_ids(http, base, &token)
        .await
        .into_iter()
        .filter(|id| !before.contains(id))
        .collect();
    assert_eq!(after.len(), 4, "its own creation and three changes");
    every_record_arrives("new only", &after, || sent_ids(&rsyslog)).await;
    let sent = sent_ids(&rsyslog);
    assert!(
        before.iter().all(|id| !sent.contains(id)),
        "nothing from before its creation"
    );
}

#[tokio::test]
async fn splunk_hec_gets_acknowledged_batches_through_faults() {
    let hec = HecReceiver::start(HecOptions {
        token: "hec-token-1".into(),
        ack: true,
    })
    .await;
    hec.set_ack_delay(Duration::from_millis(300));
    let app = TestApp::spawn_with(quick).await;
    let token = app.reseller_token().await;
    let (http, base) = (&app.http, app.base.as_str());
    let setting = create_setting(
        http,
        base,
        &token,
        json!({"name": "Splunk", "typeId": 1, "statusId": 1, "isForwardHistoricalAuditLog": true,
            "apiUrl": hec.url(), "token": "hec-token-1"}),
    )
    .await;
    changes(http, base, &token, "Plain", 3).await;
    let received = || {
        hec.event_bodies()
            .iter()
            .filter_map(|e| e["resourceId"].as_str().map(str::to_owned))
            .collect::<Vec<_>>()
    };
    let expected = audit_ids(http, base, &token).await;
    every_record_arrives("hec", &expected, received).await;
    assert!(!hec.channels().is_empty(), "requests name a channel");
    let event = hec
        .events()
        .into_iter()
        .find(|e| e["event"]["entityName"] == "CompanyGroup")
        .expect("a group event");
    assert_eq!(event["sourcetype"], "latchkey:audit");
    assert_eq!(event["event"]["operation"], "Create");
    assert!(event["event"]["newValue"].is_object(), "{event}");

    // Busy: the state says Retrying with what the collector said, and nothing is lost.
    for fault in [HecFault::Busy503, HecFault::Reset, HecFault::Hang] {
        hec.set_fault(fault);
        let label = format!("{fault:?}");
        changes(http, base, &token, &label, 2).await;
        if fault != HecFault::Hang {
            let d = delivery_becomes(&app, &token, &setting, |d| d["state"] == "Retrying").await;
            assert!(
                d["lastError"].is_string() && d["backlog"].as_i64() > Some(0),
                "{d}"
            );
            if fault == HecFault::Busy503 {
                assert!(
                    d["lastError"]
                        .as_str()
                        .expect("error")
                        .contains("Server is busy (code 9)"),
                    "{d}"
                );
            }
        } else {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        hec.set_fault(HecFault::None);
        let expected = audit_ids(http, base, &token).await;
        every_record_arrives(&label, &expected, received).await;
    }
    let d = delivery_becomes(&app, &token, &setting, |d| d["backlog"] == 0).await;
    assert_eq!(d["state"], "Active", "{d}");

    // A wrong token is refused by the collector, and the state shows it.
    let wrong = create_setting(
        http,
        base,
        &token,
        json!({"name": "Wrong token", "typeId": 1, "statusId": 1, "isForwardHistoricalAuditLog": true,
            "apiUrl": hec.url(), "token": "not-the-token"}),
    )
    .await;
    let d = delivery_becomes(&app, &token, &wrong, |d| d["state"] == "Retrying").await;
    assert!(
        d["lastError"]
            .as_str()
            .expect("error")
            .contains("Invalid token (code 4)"),
        "{d}"
    );
    // Test Connection says what the collector answers.
    let test: Value = call(
        &app,
        Method::POST,
        &format!("{SETTINGS}/test"),
        &token,
        None,
        Some(json!({"typeId": 1, "resourceId": setting, "apiUrl": hec.url()})),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(test["status"], "SUCCESS", "{test}");
    assert!(
        test["message"]
            .as_str()
            .expect("message")
            .contains("acknowledged as indexed"),
        "{test}"
    );
}

#[tokio::test]
async fn a_receiver_that_stops_for_a_while_still_gets_every_record() {
    let rsyslog = rsyslog_tcp().await;
    let app = TestApp::spawn_with(quick).await;
    let token = app.reseller_token().await;
    let (http, base) = (&app.http, app.base.as_str());
    let setting = create_setting(
        http,
        base,
        &token,
        syslog_setting("TCP", "127.0.0.1", rsyslog.tcp_port(), "TCP"),
    )
    .await;
    changes(http, base, &token, "Up", 20).await;
    // The receiver goes down while changes continue.
    let writer = {
        let (http, base, token) = (http.clone(), base.to_owned(), token.clone());
        tokio::spawn(async move {
            for round in 0..6 {
                changes(&http, &base, &token, &format!("Round {round}"), 10).await;
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    rsyslog.stop().await;
    let d = delivery_becomes(&app, &token, &setting, |d| d["state"] == "Retrying").await;
    assert!(d["lastError"].is_string(), "{d}");
    writer.await.expect("writer");
    rsyslog.restart().await;
    let expected = audit_ids(http, base, &token).await;
    let duplicates =
        every_record_arrives("through an outage", &expected, || sent_ids(&rsyslog)).await;
    assert!(
        duplicates <= expected.len(),
        "at least once, not everything many times: {duplicates}"
    );
    delivery_becomes(&app, &token, &setting, |d| {
        d["state"] == "Active" && d["backlog"] == 0
    })
    .await;
}

#[tokio::test]
async fn records_undelivered_at_a_kill_9_arrive_after_the_restart() {
    let rsyslog = rsyslog_tcp().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let url = fresh_database_url(dir.path()).await;
    let env = [
        ("LATCHKEY_SIEM_RETRY_MAX_SECONDS", "1"),
        ("LATCHKEY_SIEM_LEASE_SECONDS", "3"),
    ];
    let mut server = serve_with_env(&data, &url, &env).await;
    let http = reqwest::Client::new();
    let token = server.initial_token(&data).await;
    create_setting(
        &http,
        &server.base,
        &token,
        syslog_setting("TCP", "127.0.0.1", rsyslog.tcp_port(), "TCP"),
    )
    .await;
    changes(&http, &server.base, &token, "Delivered", 5).await;
    assert!(
        rsyslog.wait_for(6, ARRIVAL).await,
        "the first records arrive"
    );
    // The receiver is down: what follows stays undelivered, and then Latchkey is killed.
    rsyslog.stop().await;
    changes(&http, &server.base, &token, "Pending", 20).await;
    let expected = audit_ids(&http, &server.base, &token).await;
    server.child.start_kill().expect("SIGKILL");
    server.child.wait().await.expect("killed");
    rsyslog.restart().await;
    let server = serve_with_env(&data, &url, &env).await;
    let duplicates = arrived("after kill -9", &expected, || sent_ids(&rsyslog))
        .await
        .unwrap_or_else(|e| {
            let log = server.log.lock().expect("log").join("\n");
            panic!(
                "{e}\nthe restarted server's log:\n{log}\nrsyslog:\n{}",
                rsyslog.daemon_output()
            )
        });
    assert!(duplicates <= expected.len(), "{duplicates}");
    terminate(server).await;
}

#[tokio::test]
async fn replicas_serve_a_destination_one_at_a_time_and_take_over() {
    let rsyslog = rsyslog_tcp().await;
    let first = TestApp::spawn_with(quick).await;
    let second = first.replica(quick).await;
    let token = first.reseller_token().await;
    create_setting(
        &first.http,
        &first.base,
        &token,
        syslog_setting("TCP", "127.0.0.1", rsyslog.tcp_port(), "TCP"),
    )
    .await;
    changes(&first.http, &first.base, &token, "Both up", 30).await;
    let expected = audit_ids(&first.http, &first.base, &token).await;
    let duplicates = every_record_arrives("two replicas", &expected, || sent_ids(&rsyslog)).await;
    assert_eq!(duplicates, 0, "one replica at a time sends");
    // The first stops; the second takes over from the cursor.
    first.stop().await;
    // Each replica is its own issuer (its own address, in tests).
    let token = second.reseller_token().await;
    changes(&second.http, &second.base, &token, "Second only", 10).await;
    let expected = audit_ids(&second.http, &second.base, &token).await;
    every_record_arrives("after a takeover", &expected, || sent_ids(&rsyslog)).await;
}
