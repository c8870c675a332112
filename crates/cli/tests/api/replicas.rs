//! Several servers on one database, as replicas behind a load balancer.

use std::time::{Duration, Instant};

use latchkey_testkit::{TestApp, on_postgres};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{api_create_client, call, expect_data};

#[tokio::test]
async fn a_change_on_one_replica_reaches_the_others() {
    // On PostgreSQL the poll is slowed to a minute, so only the LISTEN/NOTIFY path can deliver
    // the change within the bounds below; SQLite replicas (processes on one machine) poll.
    let poll_ms = if on_postgres() { 60_000 } else { 100 };
    let a = TestApp::spawn_with(|c| c.change_poll_ms = poll_ms).await;
    let b = a.replica(|c| c.change_poll_ms = poll_ms).await;
    assert_ne!(a.base, b.base);

    let token = a.reseller_token().await;
    let (rid, id, secret) =
        api_create_client(&a, &token, None, "replicated", &["RoleCompAdmn"], None).await;

    // B learns of the new client.
    let started = Instant::now();
    let live = loop {
        let r = b.token_post(&id, &secret).await;
        if r.status() == 200 {
            break r.json::<serde_json::Value>().await.expect("json")["access_token"]
                .as_str()
                .expect("token")
                .to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "replica B never saw the new client"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(b.companies_my(&live).await.status(), 200);

    // Deactivated through A: B refuses the token B issued.
    let body = json!({"name": "replicated", "clientId": id, "statusId": 0, "roleResourceIdList": ["RoleCompAdmn"]});
    expect_data(
        call(
            &a,
            Method::PUT,
            &format!("/api/companies/clients/{rid}"),
            &token,
            None,
            Some(body),
        )
        .await,
    )
    .await;
    let started = Instant::now();
    while b.companies_my(&live).await.status() != 401 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "replica B kept accepting a deactivated client's token"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if on_postgres() {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}: the notification did not arrive",
            started.elapsed()
        );
    }
}
