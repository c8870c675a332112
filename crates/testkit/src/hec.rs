//! A Splunk HTTP Event Collector (HEC) receiver for tests: a real HTTP server on a free loopback
//! port that speaks the collector's documented protocol, keeps every event it accepts, and can be
//! told to misbehave the way a real collector does (busy, connection reset, hanging, down).
//!
//! What it implements, after Splunk's "Format events for HTTP Event Collector", "HTTP Event
//! Collector REST API endpoints" and "About HTTP Event Collector Indexer Acknowledgment":
//!
//! - `POST /services/collector/event` (also `/services/collector` and `/services/collector/event/1.0`):
//!   `Authorization: Splunk <token>`; the body is one or more JSON objects one after the other
//!   (whitespace between them, no array), each `{"time", "host", "source", "sourcetype", "index",
//!   "event", "fields"}`. The answers and their `code`s are Splunk's: 2 token required, 3 invalid
//!   authorization, 4 invalid token, 5 no data, 6 invalid data format (with
//!   `invalid-event-number`), 12 event field required, 13 event field blank, 15 bad indexed fields.
//!   A rejected request stores none of its events (Splunk keeps the events before the bad one; a
//!   forwarder that sends a bad event is broken either way, and all-or-nothing keeps assertions
//!   exact).
//! - Indexer acknowledgment ([`HecOptions::ack`]): event requests must name a channel (GUID) in
//!   `X-Splunk-Request-Channel` or `?channel=`, codes 10 and 11 otherwise; a success carries
//!   `"ackId"`, counted per channel from 0. `POST /services/collector/ack` with `{"acks":[..]}`
//!   answers `{"acks":{"0":true,..}}`; an ack turns true once [`HecReceiver::set_ack_delay`] has
//!   passed since the batch arrived, and is forgotten once it has been reported true. With
//!   acknowledgment off, `/ack` answers code 14.
//! - `GET /services/collector/health`: code 17.
//!
//! Events count as received the moment a request succeeds; the ack delay only delays the ack.
//!
//! Faults ([`HecReceiver::set_fault`]) apply to every request that arrives after the switch, also
//! on connections that are already open: [`HecFault::Busy503`] answers 503 code 9,
//! [`HecFault::Reset`] resets the connection without an answer, [`HecFault::Hang`] reads the
//! request and never answers (when the fault is cleared, the hung request's connection is closed,
//! still without an answer and without storing its events). [`HecReceiver::stop`] closes the
//! port and every open connection; [`HecReceiver::restart`] opens the same port again.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Extension, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// The header that names an acknowledgment channel.
pub const CHANNEL_HEADER: &str = "x-splunk-request-channel";

/// How a receiver is set up.
#[derive(Debug, Clone)]
pub struct HecOptions {
    /// The token clients must send as `Authorization: Splunk <token>`.
    pub token: String,
    /// Indexer acknowledgment: channels required, `ackId` in answers, `/ack` enabled.
    pub ack: bool,
}

impl Default for HecOptions {
    fn default() -> Self {
        Self {
            token: "5f2a8c1e-latchkey-test-hec-token".to_owned(),
            ack: false,
        }
    }
}

/// A misbehaviour switched on with [`HecReceiver::set_fault`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HecFault {
    /// Answer as the protocol says.
    #[default]
    None,
    /// 503 `{"text":"Server is busy","code":9}`; the events are not stored.
    Busy503,
    /// Reset the connection (TCP RST) without an answer.
    Reset,
    /// Read the request and never answer.
    Hang,
}

/// One request the receiver saw, whatever became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HecRequest {
    /// The request path, e.g. `/services/collector/event`.
    pub path: String,
    /// The channel, as sent in the header or the query.
    pub channel: Option<String>,
    /// The HTTP status answered; `None` when the connection was reset or left hanging.
    pub status: Option<u16>,
    /// The `code` of the answer body.
    pub code: Option<i64>,
    /// How many events this request stored.
    pub events: usize,
}

/// The running receiver. Stops when dropped.
pub struct HecReceiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
    running: Mutex<Option<Running>>,
}

struct Running {
    stopped: CancellationToken,
    accept: JoinHandle<()>,
}

struct Shared {
    token: String,
    ack: bool,
    fault: watch::Sender<HecFault>,
    inner: Mutex<Inner>,
    /// Woken whenever a request is recorded (and so whenever events are stored).
    changed: Notify,
}

#[derive(Default)]
struct Inner {
    events: Vec<Value>,
    log: Vec<HecRequest>,
    ack_delay: Duration,
    /// Keyed by the channel GUID in lowercase hyphenated form.
    channels: HashMap<String, Channel>,
}

#[derive(Default)]
struct Channel {
    next_ack: u64,
    /// Ack id → when it turns true.
    pending: HashMap<u64, Instant>,
}

impl Shared {
    fn inner(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` half-updated in a way that matters
        // to a test, so a poisoned lock is used as it is.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, entry: HecRequest) {
        self.inner().log.push(entry);
        self.changed.notify_waiters();
    }
}

impl HecReceiver {
    /// Starts a receiver on a free port of 127.0.0.1.
    pub async fn start(options: HecOptions) -> Self {
        let listener =
            listen(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).expect("bind the HEC receiver");
        let addr = listener.local_addr().expect("HEC receiver address");
        let (fault, _) = watch::channel(HecFault::None);
        let shared = Arc::new(Shared {
            token: options.token,
            ack: options.ack,
            fault,
            inner: Mutex::new(Inner::default()),
            changed: Notify::new(),
        });
        let receiver = Self {
            addr,
            shared,
            running: Mutex::new(None),
        };
        receiver.run(listener);
        receiver
    }

    fn run(&self, listener: TcpListener) {
        let stopped = CancellationToken::new();
        let accept = tokio::spawn(accept_loop(
            listener,
            self.shared.clone(),
            router(self.shared.clone()),
            stopped.clone(),
        ));
        let previous = self.running().replace(Running { stopped, accept });
        if let Some(previous) = previous {
            previous.stopped.cancel();
        }
    }

    fn running(&self) -> MutexGuard<'_, Option<Running>> {
        self.running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The full URL of the event endpoint.
    pub fn event_url(&self) -> String {
        format!("{}/services/collector/event", self.url())
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The token clients must present.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// Switches a fault on (or off with [`HecFault::None`]) for the requests that follow.
    pub fn set_fault(&self, fault: HecFault) {
        self.shared.fault.send_replace(fault);
    }

    /// How long after a batch arrives its ack turns true (default: at once).
    pub fn set_ack_delay(&self, delay: Duration) {
        self.shared.inner().ack_delay = delay;
    }

    /// Every event object stored, in arrival order, duplicates included.
    pub fn events(&self) -> Vec<Value> {
        self.shared.inner().events.clone()
    }

    /// The `event` member of every stored event object.
    pub fn event_bodies(&self) -> Vec<Value> {
        self.shared
            .inner()
            .events
            .iter()
            .map(|e| e.get("event").cloned().unwrap_or(Value::Null))
            .collect()
    }

    /// How many requests reached the event endpoints, whatever was answered.
    pub fn requests(&self) -> usize {
        self.shared
            .inner()
            .log
            .iter()
            .filter(|r| is_event_path(&r.path))
            .count()
    }

    /// Every request to any endpoint, in arrival order.
    pub fn log(&self) -> Vec<HecRequest> {
        self.shared.inner().log.clone()
    }

    /// The channels that sent events or ack queries (lowercase GUIDs).
    pub fn channels(&self) -> Vec<String> {
        let mut channels: Vec<String> = self.shared.inner().channels.keys().cloned().collect();
        channels.sort();
        channels
    }

    /// Waits until at least `n` events are stored; false if `timeout` passes first.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |inner| inner.events.len() >= n)
            .await
    }

    /// Waits until at least `n` requests reached the event endpoints, whatever was answered
    /// (to see a client retry while a fault is on); false if `timeout` passes first.
    pub async fn wait_for_requests(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |inner| {
            inner.log.iter().filter(|r| is_event_path(&r.path)).count() >= n
        })
        .await
    }

    async fn wait_until(&self, timeout: Duration, done: impl Fn(&Inner) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            // Registered before the check, so a change between check and wait is not missed.
            changed.as_mut().enable();
            if done(&self.shared.inner()) {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return done(&self.shared.inner());
            }
        }
    }

    /// Forgets the stored events and the request log (channels and pending acks stay).
    pub fn clear(&self) {
        let mut inner = self.shared.inner();
        inner.events.clear();
        inner.log.clear();
    }

    /// Closes the port and every open connection: clients get "connection refused".
    pub async fn stop(&self) {
        let running = self.running().take();
        if let Some(running) = running {
            running.stopped.cancel();
            // The accept loop returns on cancellation; awaiting it means the listener is closed.
            let _ = running.accept.await;
        }
    }

    /// Opens the same port again (stopping first if running). Stored events are kept.
    pub async fn restart(&self) {
        self.stop().await;
        let mut attempt = 0;
        let listener = loop {
            match listen(self.addr) {
                Ok(listener) => break listener,
                Err(_) if attempt < 50 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot bind the HEC receiver to {} again: {e}", self.addr),
            }
        };
        self.run(listener);
    }
}

impl Drop for HecReceiver {
    fn drop(&mut self) {
        if let Some(running) = self.running().take() {
            running.stopped.cancel();
            running.accept.abort();
        }
    }
}

/// A listener with `SO_REUSEADDR`, so that [`HecReceiver::restart`] can bind the port again
/// while old connections linger in TIME_WAIT.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

fn is_event_path(path: &str) -> bool {
    matches!(
        path,
        "/services/collector" | "/services/collector/event" | "/services/collector/event/1.0"
    )
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    router: Router,
    stopped: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            () = stopped.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            // Out of file descriptors and the like: wait a little rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        if *shared.fault.borrow() == HecFault::Reset {
            let _ = stream.set_zero_linger();
            drop(stream);
            continue;
        }
        tokio::spawn(serve_connection(stream, router.clone(), stopped.clone()));
    }
}

/// Per-connection handle that handlers use to drop their own connection.
#[derive(Clone)]
struct Conn {
    /// Cancelled to close the connection without an answer.
    kill: CancellationToken,
    /// Whether closing sends RST rather than FIN.
    reset: Arc<AtomicBool>,
    /// The receiver has been stopped.
    stopped: CancellationToken,
}

impl Conn {
    /// Closes the connection without answering; the future never completes.
    async fn abandon(&self, reset: bool) -> Response {
        self.reset.store(reset, Ordering::SeqCst);
        self.kill.cancel();
        std::future::pending().await
    }
}

async fn serve_connection(stream: TcpStream, router: Router, stopped: CancellationToken) {
    let conn = Conn {
        kill: CancellationToken::new(),
        reset: Arc::new(AtomicBool::new(false)),
        stopped: stopped.clone(),
    };
    let io = TokioIo::new(ResettableStream {
        stream,
        reset: conn.reset.clone(),
    });
    let handle = conn.clone();
    let service = hyper::service::service_fn(move |mut request: axum::extract::Request<_>| {
        request.extensions_mut().insert(handle.clone());
        router.clone().oneshot(request)
    });
    let connection = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    // Dropping the connection future drops the stream, which is what closes it.
    tokio::select! {
        _ = connection => {}
        () = conn.kill.cancelled() => {}
        () = stopped.cancelled() => conn.reset.store(true, Ordering::SeqCst),
    }
}

/// A TCP stream that, when told so, closes with RST instead of FIN.
struct ResettableStream {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for ResettableStream {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/services/collector", post(event))
        .route("/services/collector/event", post(event))
        .route("/services/collector/event/1.0", post(event))
        .route("/services/collector/ack", post(ack))
        .route("/services/collector/health", get(health))
        .route("/services/collector/health/1.0", get(health))
        .fallback(not_found)
        // Splunk's own limit (`max_content_length`) is far above anything a test sends.
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
        .with_state(shared)
}

/// An answer in Splunk's shape: a JSON body with `text` and `code`.
struct Answer {
    status: StatusCode,
    body: Value,
}

impl Answer {
    fn new(status: StatusCode, text: &str, code: i64) -> Self {
        Self {
            status,
            body: json!({ "text": text, "code": code }),
        }
    }

    /// A rejection of the event at `index` (0-based) of the request body.
    fn invalid_event(text: &str, code: i64, index: usize) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            body: json!({ "text": text, "code": code, "invalid-event-number": index }),
        }
    }

    fn code(&self) -> Option<i64> {
        self.body.get("code").and_then(Value::as_i64)
    }
}

/// Records the request and turns the answer into a response.
fn finish(shared: &Shared, mut entry: HecRequest, answer: Answer) -> Response {
    entry.status = Some(answer.status.as_u16());
    entry.code = answer.code();
    shared.record(entry);
    (answer.status, axum::Json(answer.body)).into_response()
}

/// Applies the fault switch. `Some` replaces the normal answer; for `Reset` and `Hang` it never
/// arrives, because the connection is dropped first.
async fn fault_answer(shared: &Shared, conn: &Conn, entry: &HecRequest) -> Option<Response> {
    if conn.stopped.is_cancelled() {
        shared.record(entry.clone());
        return Some(conn.abandon(true).await);
    }
    let fault = *shared.fault.borrow();
    match fault {
        HecFault::None => None,
        HecFault::Busy503 => Some(finish(
            shared,
            entry.clone(),
            Answer::new(StatusCode::SERVICE_UNAVAILABLE, "Server is busy", 9),
        )),
        HecFault::Reset => {
            shared.record(entry.clone());
            Some(conn.abandon(true).await)
        }
        HecFault::Hang => {
            shared.record(entry.clone());
            let mut faults = shared.fault.subscribe();
            let cleared = async {
                // An error means the sender is gone, which is the receiver gone: stop hanging.
                let _ = faults.wait_for(|f| *f != HecFault::Hang).await.map(|_| ());
            };
            tokio::select! {
                () = cleared => {}
                () = conn.stopped.cancelled() => {}
            }
            Some(conn.abandon(false).await)
        }
    }
}

fn check_token(shared: &Shared, headers: &HeaderMap) -> Result<(), Answer> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(Answer::new(
            StatusCode::UNAUTHORIZED,
            "Token is required",
            2,
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Splunk "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match token {
        None => Err(Answer::new(
            StatusCode::UNAUTHORIZED,
            "Invalid authorization",
            3,
        )),
        Some(token) if token != shared.token => {
            Err(Answer::new(StatusCode::FORBIDDEN, "Invalid token", 4))
        }
        Some(_) => Ok(()),
    }
}

/// The channel as sent: the header wins over the query.
fn channel_of(headers: &HeaderMap, query: &HashMap<String, String>) -> Option<String> {
    headers
        .get(CHANNEL_HEADER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .or_else(|| query.get("channel").cloned())
}

/// The channel in canonical form; `Ok(None)` when none was sent and none is needed.
fn check_channel(shared: &Shared, channel: Option<&str>) -> Result<Option<String>, Answer> {
    match channel {
        None if shared.ack => Err(Answer::new(
            StatusCode::BAD_REQUEST,
            "Data channel is missing",
            10,
        )),
        None => Ok(None),
        Some(raw) => match uuid::Uuid::try_parse(raw.trim()) {
            Ok(guid) => Ok(Some(guid.hyphenated().to_string())),
            Err(_) => Err(Answer::new(
                StatusCode::BAD_REQUEST,
                "Invalid data channel",
                11,
            )),
        },
    }
}

async fn event(
    State(shared): State<Arc<Shared>>,
    Extension(conn): Extension<Conn>,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let channel = channel_of(&headers, &query);
    let entry = HecRequest {
        path: uri.path().to_owned(),
        channel: channel.clone(),
        status: None,
        code: None,
        events: 0,
    };
    if let Some(response) = fault_answer(&shared, &conn, &entry).await {
        return response;
    }
    match accept_events(&shared, channel.as_deref(), &headers, &body) {
        Ok((stored, answer)) => {
            let entry = HecRequest {
                events: stored,
                ..entry
            };
            finish(&shared, entry, answer)
        }
        Err(answer) => finish(&shared, entry, answer),
    }
}

/// Checks an event request and stores its events; the number stored and the answer.
fn accept_events(
    shared: &Shared,
    channel: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(usize, Answer), Answer> {
    check_token(shared, headers)?;
    let channel = check_channel(shared, channel)?;
    let events = parse_events(body)?;
    let stored = events.len();
    let mut inner = shared.inner();
    let ready_at = Instant::now() + inner.ack_delay;
    inner.events.extend(events);
    let mut answer = Answer::new(StatusCode::OK, "Success", 0);
    if let Some(channel) = channel {
        let channel = inner.channels.entry(channel).or_default();
        if shared.ack {
            let id = channel.next_ack;
            channel.next_ack += 1;
            channel.pending.insert(id, ready_at);
            answer.body["ackId"] = json!(id);
        }
    }
    Ok((stored, answer))
}

/// Splits a body into event objects and checks each as Splunk does.
fn parse_events(body: &[u8]) -> Result<Vec<Value>, Answer> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Answer::new(StatusCode::BAD_REQUEST, "No data", 5));
    }
    let mut events = Vec::new();
    let stream = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
    for (index, item) in stream.enumerate() {
        let invalid_format = || Answer::invalid_event("Invalid data format", 6, index);
        let value = item.map_err(|_| invalid_format())?;
        let Value::Object(object) = &value else {
            return Err(invalid_format());
        };
        match object.get("event") {
            None | Some(Value::Null) => {
                return Err(Answer::invalid_event("Event field is required", 12, index));
            }
            Some(Value::String(text)) if text.is_empty() => {
                return Err(Answer::invalid_event(
                    "Event field cannot be blank",
                    13,
                    index,
                ));
            }
            Some(_) => {}
        }
        let time_ok = match object.get("time") {
            None | Some(Value::Number(_)) => true,
            Some(Value::String(text)) => text.parse::<f64>().is_ok(),
            Some(_) => false,
        };
        let metadata_ok = ["host", "source", "sourcetype", "index"]
            .iter()
            .all(|key| matches!(object.get(*key), None | Some(Value::String(_))));
        if !time_ok || !metadata_ok {
            return Err(invalid_format());
        }
        if let Some(fields) = object.get("fields")
            && !indexed_fields_ok(fields)
        {
            return Err(Answer::invalid_event(
                "Error in handling indexed fields",
                15,
                index,
            ));
        }
        events.push(value);
    }
    Ok(events)
}

/// Indexed fields are a flat object whose values are scalars or arrays of scalars.
fn indexed_fields_ok(fields: &Value) -> bool {
    let scalar = |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
    match fields {
        Value::Object(map) => map.values().all(|v| match v {
            Value::Array(items) => items.iter().all(scalar),
            other => scalar(other),
        }),
        _ => false,
    }
}

#[derive(Deserialize)]
struct AckQuery {
    acks: Vec<u64>,
}

async fn ack(
    State(shared): State<Arc<Shared>>,
    Extension(conn): Extension<Conn>,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let channel = channel_of(&headers, &query);
    let entry = HecRequest {
        path: uri.path().to_owned(),
        channel: channel.clone(),
        status: None,
        code: None,
        events: 0,
    };
    if let Some(response) = fault_answer(&shared, &conn, &entry).await {
        return response;
    }
    let answer = answer_acks(&shared, channel.as_deref(), &headers, &body)
        .unwrap_or_else(|rejection| rejection);
    finish(&shared, entry, answer)
}

fn answer_acks(
    shared: &Shared,
    channel: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Answer, Answer> {
    check_token(shared, headers)?;
    if !shared.ack {
        return Err(Answer::new(StatusCode::BAD_REQUEST, "ACK is disabled", 14));
    }
    let channel = check_channel(shared, channel)?
        .ok_or_else(|| Answer::new(StatusCode::BAD_REQUEST, "Data channel is missing", 10))?;
    let query: AckQuery = serde_json::from_slice(body)
        .map_err(|_| Answer::new(StatusCode::BAD_REQUEST, "Invalid data format", 6))?;
    let now = Instant::now();
    let mut inner = shared.inner();
    let channel = inner.channels.entry(channel).or_default();
    let mut acks = serde_json::Map::new();
    for id in query.acks {
        let indexed = channel
            .pending
            .get(&id)
            .is_some_and(|ready_at| *ready_at <= now);
        if indexed {
            // Read once: Splunk forgets an ack it has reported as true.
            channel.pending.remove(&id);
        }
        acks.insert(id.to_string(), Value::Bool(indexed));
    }
    Ok(Answer {
        status: StatusCode::OK,
        body: json!({ "acks": acks }),
    })
}

async fn health(
    State(shared): State<Arc<Shared>>,
    Extension(conn): Extension<Conn>,
    uri: Uri,
) -> Response {
    let entry = HecRequest {
        path: uri.path().to_owned(),
        channel: None,
        status: None,
        code: None,
        events: 0,
    };
    if let Some(response) = fault_answer(&shared, &conn, &entry).await {
        return response;
    }
    finish(
        &shared,
        entry,
        Answer::new(StatusCode::OK, "HEC is healthy", 17),
    )
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(
            json!({ "text": "The requested URL was not found on this server.", "code": 404 }),
        ),
    )
        .into_response()
}
