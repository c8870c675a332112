//! Slow, idle and too many clients, over real TCP: heads that never finish and bodies that
//! stall are dropped after their timeouts while other clients are served, idle keep-alive
//! connections close, the connection caps close connections beyond them at once, and shutdown
//! still waits for a request in flight.
//!
//! Every test connection comes from the loopback; a client socket bound to 127.0.0.2 (or .3,
//! …) before connecting is another peer address as far as the server is concerned.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use latchkey_testkit::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

const UNFINISHED_HEAD: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\n";
const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

async fn connect_from(source: Ipv4Addr, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from((source, 0)))
        .expect("bind the client address");
    socket.connect(server).await.expect("connect")
}

/// Reads until the server closes the connection (a reset counts as closed) and returns what
/// came before, or `None` if it stays open for `limit`.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    tokio::time::timeout(limit, async {
        let mut received = Vec::new();
        loop {
            match stream.read_buf(&mut received).await {
                Ok(0) => return received,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return received,
                Err(e) => panic!("reading from the server: {e}"),
            }
        }
    })
    .await
    .ok()
}

/// Reads one response with a `Content-Length` body; returns its status line and body, or
/// `None` when the connection closes first.
async fn read_response(stream: &mut TcpStream) -> Option<(String, String)> {
    let mut received = Vec::new();
    let read = async {
        loop {
            if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&received[..end]).into_owned();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .expect("the response has a Content-Length");
                while received.len() < end + 4 + length {
                    if stream.read_buf(&mut received).await.ok()? == 0 {
                        return None;
                    }
                }
                let status = head.lines().next().unwrap_or_default().to_owned();
                let body = String::from_utf8_lossy(&received[end + 4..end + 4 + length]);
                return Some((status, body.into_owned()));
            }
            if stream.read_buf(&mut received).await.ok()? == 0 {
                return None;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("a response or a close within 30 s")
}

/// `GET /healthz` on an open connection, expecting `200 ok`.
async fn healthz_on(stream: &mut TcpStream) {
    stream.write_all(HEALTHZ).await.expect("send request");
    let (status, body) = read_response(stream)
        .await
        .expect("a response before the connection closes");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert_eq!(body, "ok");
}

/// The value of a counter or gauge line in `/metrics`, summed over lines that contain all of
/// `parts`, asked on a new connection from `source`: a pooled one may be closing for idleness
/// at the very moment the request goes out.
async fn metric(source: Ipv4Addr, app: &TestApp, parts: &[&str]) -> f64 {
    let text = client_from(source)
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .filter(|l| !l.starts_with('#') && parts.iter().all(|p| l.contains(p)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn client_from(source: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(source))
        .pool_max_idle_per_host(0)
        .build()
        .expect("http client")
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Slow {
    /// A request head that never ends.
    Head,
    /// `POST /connect/token` announcing 100 bytes and sending 10: the handler reads the body.
    TokenBody,
    /// `GET /healthz` announcing a body of 100 bytes that its handler never reads.
    UnreadBody,
}

#[tokio::test]
async fn slow_clients_are_dropped_after_their_timeouts_while_others_are_served() {
    const HEADS: usize = 300;
    const BODIES: usize = 10;
    // The per-address cap sits above every connection this test opens from 127.0.0.1, so that
    // nothing here is refused at accept: what closes the slow ones must be the timeouts.
    let app = TestApp::spawn_with(|c| {
        c.http_header_read_timeout_seconds = 2;
        c.http_body_read_timeout_seconds = 2;
        c.http_keep_alive_idle_seconds = 2;
        c.http_max_connections_per_address = 1000;
    })
    .await;
    let timeout = Duration::from_secs(2);
    let localhost = Ipv4Addr::LOCALHOST;

    let mut slow = Vec::new();
    let started = Instant::now();
    for i in 0..HEADS + 2 * BODIES {
        let kind = if i < HEADS {
            Slow::Head
        } else if i < HEADS + BODIES {
            Slow::TokenBody
        } else {
            Slow::UnreadBody
        };
        let opened = Instant::now();
        let mut stream = connect_from(localhost, app.addr).await;
        let request: &[u8] = match kind {
            Slow::Head => UNFINISHED_HEAD,
            Slow::TokenBody => {
                b"POST /connect/token HTTP/1.1\r\nHost: x\r\n\
                Content-Type: application/x-www-form-urlencoded\r\n\
                Content-Length: 100\r\n\r\ngrant_type"
            }
            Slow::UnreadBody => {
                b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789"
            }
        };
        stream.write_all(request).await.expect("send");
        slow.push((kind, opened, stream));
    }
    let opening = started.elapsed();

    // While they hang: a fresh client is served, on a new connection.
    let check = Instant::now();
    let other = reqwest::Client::new();
    let health = other
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let token = app
        .token_post(&app.initial.client_id, &app.initial.client_secret)
        .await;
    assert_eq!(token.status(), 200, "{:?}", token.text().await);
    let check = check.elapsed();

    let mut readers = tokio::task::JoinSet::new();
    for (kind, opened, mut stream) in slow {
        readers.spawn(async move {
            let received = read_until_closed(&mut stream, timeout + Duration::from_secs(10))
                .await
                .unwrap_or_else(|| panic!("{kind:?} connection still open after 12 s"));
            (
                kind,
                opened.elapsed(),
                String::from_utf8_lossy(&received).into_owned(),
            )
        });
    }
    let mut dropped = Vec::new();
    while let Some(joined) = readers.join_next().await {
        let (kind, after, received) = joined.expect("reader");
        // Timers never fire early: a close sooner than the timeout was something else, e.g.
        // a refusal at accept. The exception: a body the handler never reads does not need to
        // arrive; hyper answers and then closes, as the rest of the body cannot be skipped.
        assert!(
            kind == Slow::UnreadBody || after >= timeout - Duration::from_millis(100),
            "{kind:?} closed after {after:?}, before its timeout"
        );
        match kind {
            Slow::Head => assert!(
                received.is_empty() || received.starts_with("HTTP/1.1 408"),
                "{received}"
            ),
            Slow::TokenBody => {
                assert!(received.starts_with("HTTP/1.1 408"), "{received}");
                assert!(received.contains("invalid_request"), "{received}");
                assert!(
                    received.to_ascii_lowercase().contains("connection: close"),
                    "{received}"
                );
            }
            Slow::UnreadBody => assert!(received.starts_with("HTTP/1.1 200"), "{received}"),
        }
        dropped.push((kind, after));
    }
    assert_eq!(dropped.len(), HEADS + 2 * BODIES);

    for kind in [Slow::Head, Slow::TokenBody, Slow::UnreadBody] {
        let mut times: Vec<Duration> = dropped
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, t)| *t)
            .collect();
        times.sort();
        eprintln!(
            "slow clients: {} {kind:?} connections dropped after {:.2?} (first) / {:.2?} (median) / {:.2?} (last) from opening; timeout {timeout:?}",
            times.len(),
            times[0],
            times[times.len() / 2],
            times[times.len() - 1],
        );
    }
    eprintln!(
        "slow clients: opening {} connections took {opening:.2?}; /healthz and a token while they hung took {check:.2?}",
        HEADS + 2 * BODIES
    );

    // The metrics are process-wide and only grow, so other tests cannot make these fail.
    assert!(
        metric(
            localhost,
            &app,
            &["latchkey_http_connections_timed_out_total", "header_read"]
        )
        .await
            >= HEADS as f64
    );
    assert!(metric(localhost, &app, &["latchkey_http_body_timeouts_total"]).await >= BODIES as f64);
}

#[tokio::test]
async fn keep_alive_connections_wait_the_idle_timeout_but_a_begun_head_only_the_header_timeout() {
    let header = Duration::from_secs(2);
    let idle = Duration::from_secs(10);
    let app = TestApp::spawn_with(|c| {
        c.http_header_read_timeout_seconds = 2;
        c.http_keep_alive_idle_seconds = 10;
    })
    .await;

    let idle_connection = async {
        let mut stream = connect_from(Ipv4Addr::LOCALHOST, app.addr).await;
        healthz_on(&mut stream).await;
        let since = Instant::now();
        read_until_closed(&mut stream, idle + Duration::from_secs(10))
            .await
            .expect("an idle connection is closed within the idle timeout + 10 s");
        since.elapsed()
    };

    let begun_head = async {
        let mut stream = connect_from(Ipv4Addr::LOCALHOST, app.addr).await;
        healthz_on(&mut stream).await;
        // Longer than the header timeout, shorter than the idle timeout: the connection is
        // still there for the next request.
        tokio::time::sleep(header + Duration::from_secs(1)).await;
        healthz_on(&mut stream).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        stream.write_all(UNFINISHED_HEAD).await.expect("send");
        let since = Instant::now();
        let received = read_until_closed(&mut stream, idle + Duration::from_secs(10))
            .await
            .expect("a connection with an unfinished head is closed");
        assert!(
            received.is_empty(),
            "{}",
            String::from_utf8_lossy(&received)
        );
        since.elapsed()
    };

    let (idle_after, head_after) = tokio::join!(idle_connection, begun_head);
    eprintln!(
        "keep-alive: an idle connection closed {idle_after:.2?} after its response (idle timeout {idle:?}); an unfinished second head closed {head_after:.2?} after its first byte (header timeout {header:?})"
    );
    assert!(
        idle_after >= idle - Duration::from_secs(2),
        "closed after {idle_after:?}, before the idle timeout"
    );
    assert!(head_after >= header - Duration::from_millis(100));
    // Had the idle deadline applied, it would have come 9 s after the head's first byte.
    assert!(
        head_after < Duration::from_secs(7),
        "an unfinished head was held {head_after:?}"
    );
}

#[tokio::test]
async fn connections_beyond_the_per_address_cap_are_closed_at_once() {
    const CAP: usize = 5;
    let app = TestApp::spawn_with(|c| {
        c.http_max_connections_per_address = CAP as u32;
        // Long enough that the held connections stay open throughout.
        c.http_header_read_timeout_seconds = 60;
        c.http_keep_alive_idle_seconds = 60;
        c.trusted_proxies = vec!["127.0.0.3/32".parse().expect("network")];
    })
    .await;
    let first = Ipv4Addr::LOCALHOST;

    // Each is admitted and served, and stays open (keep-alive).
    let mut held = Vec::new();
    for _ in 0..CAP {
        let mut stream = connect_from(first, app.addr).await;
        healthz_on(&mut stream).await;
        held.push(stream);
    }

    let mut over = connect_from(first, app.addr).await;
    let since = Instant::now();
    // The server may already have closed it; a failed write changes nothing here.
    let _ = over.write_all(HEALTHZ).await;
    let received = read_until_closed(&mut over, Duration::from_secs(5))
        .await
        .expect("the connection over the cap is closed within 5 s");
    assert!(
        received.is_empty(),
        "the connection over the cap was served: {}",
        String::from_utf8_lossy(&received)
    );
    eprintln!(
        "per-address cap: connection {} from {first} closed {:.2?} after connecting",
        CAP + 1,
        since.elapsed()
    );

    // Another address is not affected.
    let mut other = connect_from(Ipv4Addr::new(127, 0, 0, 2), app.addr).await;
    healthz_on(&mut other).await;

    // A trusted proxy is exempt: all its clients' connections come from its address.
    let mut proxied = Vec::new();
    for _ in 0..CAP + 2 {
        let mut stream = connect_from(Ipv4Addr::new(127, 0, 0, 3), app.addr).await;
        healthz_on(&mut stream).await;
        proxied.push(stream);
    }

    assert!(
        metric(
            Ipv4Addr::new(127, 0, 0, 2),
            &app,
            &[
                "latchkey_http_connections_rejected_total",
                "max_connections_per_address"
            ]
        )
        .await
            >= 1.0
    );

    // When one of the held connections closes, its address may connect again.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut stream = connect_from(first, app.addr).await;
        let _ = stream.write_all(HEALTHZ).await;
        if let Some((status, _)) = read_response(&mut stream).await {
            assert!(status.starts_with("HTTP/1.1 200"), "{status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the freed slot was not reusable within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn connections_beyond_the_overall_cap_are_closed_at_once() {
    const CAP: u8 = 3;
    let app = TestApp::spawn_with(|c| {
        c.http_max_connections = u32::from(CAP);
        c.http_header_read_timeout_seconds = 60;
        c.http_keep_alive_idle_seconds = 60;
    })
    .await;
    let mut held = Vec::new();
    for i in 0..CAP {
        let mut stream = connect_from(Ipv4Addr::new(127, 0, 1, 1 + i), app.addr).await;
        healthz_on(&mut stream).await;
        held.push(stream);
    }
    let mut over = connect_from(Ipv4Addr::new(127, 0, 1, 100), app.addr).await;
    let _ = over.write_all(HEALTHZ).await;
    let received = read_until_closed(&mut over, Duration::from_secs(5))
        .await
        .expect("the connection over the cap is closed within 5 s");
    assert!(
        received.is_empty(),
        "the connection over the cap was served: {}",
        String::from_utf8_lossy(&received)
    );
    // The held connections are still served.
    for stream in &mut held {
        healthz_on(stream).await;
    }
}

#[tokio::test]
async fn shutdown_waits_for_a_request_in_flight_and_closes_idle_connections() {
    let app = TestApp::spawn().await;
    let addr = app.addr;
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        app.initial.client_id, app.initial.client_secret
    );
    let (first, rest) = form.split_at(10);

    let mut idle = connect_from(Ipv4Addr::LOCALHOST, addr).await;
    healthz_on(&mut idle).await;

    // A token request whose body is still on its way when shutdown begins.
    let mut in_flight = connect_from(Ipv4Addr::LOCALHOST, addr).await;
    let head = format!(
        "POST /connect/token HTTP/1.1\r\nHost: x\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{first}",
        form.len()
    );
    in_flight
        .write_all(head.as_bytes())
        .await
        .expect("send head");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let stopping = tokio::spawn(app.stop());
    // The idle connection closes, and no new connection is taken.
    read_until_closed(&mut idle, Duration::from_secs(10))
        .await
        .expect("shutdown closes an idle keep-alive connection");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "still accepting 10 s after shutdown began"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!stopping.is_finished(), "stopped with a request in flight");

    in_flight
        .write_all(rest.as_bytes())
        .await
        .expect("send the rest of the body");
    let (status, body) = read_response(&mut in_flight)
        .await
        .expect("the request in flight is answered");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}: {body}");
    assert!(body.contains("access_token"), "{body}");
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("the server stops once the request is answered")
        .expect("server task");
}
