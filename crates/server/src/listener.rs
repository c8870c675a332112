//! The HTTP accept loop: hyper-util's connection builder behind limits of our own, so that
//! slow, idle and numerous clients cannot hold connections, and the file descriptors under
//! them, without end.
//!
//! A connection's life:
//! - [`serve`] accepts it and closes it at once when the server already serves
//!   `http_max_connections`, or that many from the peer's address
//!   (`latchkey_http_connections_rejected_total`). The address is the TCP peer's: a header can
//!   be forged, the socket's address cannot.
//! - While no request is in flight, [`Activity`] gives it a deadline: the first request head
//!   must be complete within the header-read timeout of the accept; later, the connection may
//!   wait the keep-alive idle timeout for the next request's first byte, and the head must
//!   then be complete within the header-read timeout of that byte. Past the deadline the
//!   connection is dropped (`latchkey_http_connections_timed_out_total`).
//! - A request body must arrive within the body-read timeout of its head ([`DeadlineBody`]);
//!   a stalled one ends in an error for the handler, whose answer is then replaced by `408`
//!   with `Connection: close` ([`body_timeout_response`]).
//! - On shutdown the listener closes, idle connections close, and requests in flight finish
//!   (hyper-util's graceful shutdown).
//!
//! Why the deadlines are ours and not only hyper's: hyper 1.12 (`proto/h1/conn.rs`) starts its
//! HTTP/1 header-read timer as soon as a connection goes idle, so one number bounds the idle
//! wait and the head together, and a keep-alive idle timeout longer than the header timeout
//! cannot be expressed. The protocol sniffing of hyper-util's auto builder (does the client
//! send the HTTP/2 preface?) has no timer at all, so a client that connects and sends nothing
//! was held forever, and an HTTP/2 connection with no streams has none either. hyper's timer is
//! still set, as a backstop at the longest wait a well-behaved client can need.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, Version, header};
use axum::response::{IntoResponse, Response};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use ipnet::IpNet;
use latchkey_proto::ResultStatus;
use latchkey_proto::oauth::{OAuthError, OAuthErrorCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::Config;
use crate::error::ApiError;

/// Descriptors kept for everything but client connections: the listener, standard streams,
/// log and key files, DNS and mail sockets. The database pool is counted on top.
const RESERVED_DESCRIPTORS: u64 = 64;

/// The limits a connection lives under, from [`Config`].
#[derive(Debug, Clone)]
pub struct Limits {
    pub header_read: Duration,
    pub body_read: Duration,
    pub keep_alive_idle: Duration,
    /// After lowering to what the descriptor limit allows.
    pub max_connections: usize,
    /// 0: no cap per address.
    pub max_per_address: usize,
    /// Peers exempt from the per-address cap.
    pub trusted_proxies: Vec<IpNet>,
}

impl Limits {
    /// The configured limits, with `max_connections` lowered to fit `descriptor_limit`.
    pub fn new(config: &Config, descriptor_limit: u64) -> Self {
        // A SQLite connection holds up to three descriptors (database, WAL, shared memory).
        let reserve = RESERVED_DESCRIPTORS + 3 * u64::from(config.database_max_connections);
        let fits = descriptor_limit.saturating_sub(reserve).max(1);
        let max_connections = u64::from(config.http_max_connections).min(fits);
        Self {
            header_read: Duration::from_secs(config.http_header_read_timeout_seconds),
            body_read: Duration::from_secs(config.http_body_read_timeout_seconds),
            keep_alive_idle: Duration::from_secs(config.http_keep_alive_idle_seconds),
            max_connections: usize::try_from(max_connections).unwrap_or(usize::MAX),
            max_per_address: usize::try_from(config.http_max_connections_per_address)
                .unwrap_or(usize::MAX),
            trusted_proxies: config.trusted_proxies.clone(),
        }
    }
}

/// Raises the soft limit on open files to the hard limit, which is what the administrator
/// allows; the soft default (often 1,024) is a historical leftover that a server with
/// thousands of connections outgrows. Returns the limit before and after.
pub fn raise_descriptor_limit() -> io::Result<(u64, u64)> {
    let (before, _) = rlimit::Resource::NOFILE.get()?;
    let after = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(after) => after,
        // An unlimited hard limit cannot be the soft one on Linux; keep what we have.
        Err(_) => rlimit::Resource::NOFILE.get()?.0,
    };
    Ok((before, after))
}

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting and waits
/// for the connections to finish their requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let limits = Arc::new(limits);
    let builder = Arc::new(builder(&limits));
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let addresses = Arc::new(AddressCounts::default());
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(admission) = admit(&slots, &addresses, &limits, peer.ip()) else {
            // Dropping the stream closes it: the client sees the connection end at once.
            continue;
        };
        let activity = Arc::new(Activity::new(&limits));
        let io = TokioIo::new(Observed {
            stream,
            activity: activity.clone(),
        });
        let service = connection_service(router.clone(), peer, activity.clone(), limits.body_read);
        let watcher = graceful.watcher();
        let builder = builder.clone();
        tokio::spawn(async move {
            let _admission = admission;
            let connection = watcher.watch(builder.serve_connection(io, service));
            tokio::select! {
                served = connection => {
                    if let Err(e) = served {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                }
                reason = activity.expired() => {
                    metrics::counter!(
                        "latchkey_http_connections_timed_out_total",
                        "reason" => reason.as_str(),
                    )
                    .increment(1);
                    tracing::debug!(%peer, reason = reason.as_str(), "connection timed out");
                }
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

fn builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .keep_alive(true)
        // The backstop: hyper's timer starts when the connection goes idle, and a client
        // that waits the whole idle timeout and then takes the whole header timeout is
        // still within bounds. The tighter deadlines are [`Activity`]'s.
        .header_read_timeout(limits.keep_alive_idle + limits.header_read);
    builder
        .http2()
        .timer(TokioTimer::new())
        // While streams are open, a ping after this long without a frame finds a peer that
        // vanished; hyper closes the connection when the answer does not come (20 s).
        .keep_alive_interval(limits.keep_alive_idle);
    builder
}

/// Accept fails for two kinds of reasons: the peer gave up before we took the connection
/// (nothing to do), or the process is out of descriptors or memory, when retrying at once
/// would spin; the pause lets connections finish.
async fn accept_failed(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// The hyper service of one connection: the router, with the peer address as
/// `ConnectInfo<SocketAddr>` (as `into_make_service_with_connect_info` gave it), request bodies
/// under their deadline, and the request counted in flight until its response body is done.
fn connection_service(
    router: Router,
    peer: SocketAddr,
    activity: Arc<Activity>,
    body_read: Duration,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = Response<InFlightBody>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<InFlightBody>, Infallible>> + Send,
> + Send
+ 'static {
    hyper::service::service_fn(move |request: Request<Incoming>| {
        let in_flight = activity.request_started(request.version());
        let router = router.clone();
        async move {
            let (mut parts, body) = request.into_parts();
            parts.extensions.insert(ConnectInfo(peer));
            let mut timed_out = None;
            let body = if body.is_end_stream() {
                Body::new(body)
            } else {
                let flag = BodyTimedOut::default();
                timed_out = Some((
                    flag.clone(),
                    parts.uri.path() == "/connect/token",
                    parts.version,
                ));
                Body::new(DeadlineBody {
                    inner: body,
                    deadline: Instant::now() + body_read,
                    sleep: None,
                    timed_out: flag,
                    seconds: body_read.as_secs(),
                })
            };
            let mut response = match router.oneshot(Request::from_parts(parts, body)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if let Some((flag, token_endpoint, version)) = timed_out
                && flag.0.load(Ordering::Relaxed)
            {
                response = body_timeout_response(&response, token_endpoint, version);
            }
            Ok(response.map(|inner| InFlightBody {
                inner,
                _in_flight: in_flight,
            }))
        }
    })
}

/// Connection admission: a global slot and, unless the peer is a trusted proxy, a slot for
/// its address. Dropping it frees both.
struct Admission {
    _slot: OwnedSemaphorePermit,
    address: Option<(Arc<AddressCounts>, IpAddr)>,
}

fn admit(
    slots: &Arc<Semaphore>,
    addresses: &Arc<AddressCounts>,
    limits: &Limits,
    ip: IpAddr,
) -> Option<Admission> {
    let reject = |reason: &'static str| {
        metrics::counter!("latchkey_http_connections_rejected_total", "reason" => reason)
            .increment(1);
        tracing::debug!(%ip, reason, "connection refused");
        None
    };
    let Ok(slot) = slots.clone().try_acquire_owned() else {
        return reject("max_connections");
    };
    // An IPv4 client of a dual-stack listener appears as ::ffff:a.b.c.d; count it as itself.
    let ip = ip.to_canonical();
    let capped =
        limits.max_per_address > 0 && !limits.trusted_proxies.iter().any(|net| net.contains(&ip));
    let address = if capped {
        if !addresses.try_add(ip, limits.max_per_address) {
            return reject("max_connections_per_address");
        }
        Some((addresses.clone(), ip))
    } else {
        None
    };
    metrics::gauge!("latchkey_http_connections_open").increment(1.0);
    Some(Admission {
        _slot: slot,
        address,
    })
}

impl Drop for Admission {
    fn drop(&mut self) {
        metrics::gauge!("latchkey_http_connections_open").decrement(1.0);
        if let Some((counts, ip)) = &self.address {
            counts.remove(*ip);
        }
    }
}

/// Open connections per peer address; addresses with none are not kept.
#[derive(Default)]
struct AddressCounts(Mutex<HashMap<IpAddr, usize>>);

impl AddressCounts {
    fn try_add(&self, ip: IpAddr, max: usize) -> bool {
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(ip).or_insert(0);
        if *count >= max {
            return false;
        }
        *count += 1;
        true
    }

    fn remove(&self, ip: IpAddr) {
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&ip);
            }
        }
    }
}

/// Why a connection was dropped, for the metric's label.
#[derive(Debug, Clone, Copy)]
enum Expired {
    HeaderRead,
    KeepAliveIdle,
}

impl Expired {
    fn as_str(self) -> &'static str {
        match self {
            Expired::HeaderRead => "header_read",
            Expired::KeepAliveIdle => "keep_alive_idle",
        }
    }
}

/// What one connection is doing, as far as its deadline is concerned.
struct Activity {
    phase: Mutex<Phase>,
    header_read: Duration,
    keep_alive_idle: Duration,
    /// The watchdog looks at the phase at least this often; see [`Activity::expired`].
    recheck: Duration,
}

struct Phase {
    /// Requests whose response body is not yet done.
    in_flight: usize,
    /// The accept, or the end of the last response.
    idle_since: Instant,
    /// The first byte read since `idle_since`, on an HTTP/1 connection that has served a
    /// request: the next head has begun. Bytes that hyper read ahead while a request was in
    /// flight (a pipelining client) do not start it; hyper's own timer bounds that case.
    head_started: Option<Instant>,
    served: bool,
    http2: bool,
}

impl Activity {
    fn new(limits: &Limits) -> Self {
        Self {
            phase: Mutex::new(Phase {
                in_flight: 0,
                idle_since: Instant::now(),
                head_started: None,
                served: false,
                http2: false,
            }),
            header_read: limits.header_read,
            keep_alive_idle: limits.keep_alive_idle,
            recheck: limits.header_read.min(limits.keep_alive_idle),
        }
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn request_started(self: &Arc<Self>, version: Version) -> InFlight {
        let mut phase = self.phase();
        phase.in_flight += 1;
        phase.served = true;
        phase.http2 = version == Version::HTTP_2;
        phase.head_started = None;
        InFlight(self.clone())
    }

    fn bytes_arrived(&self) {
        let mut phase = self.phase();
        if phase.in_flight == 0 && phase.served && !phase.http2 && phase.head_started.is_none() {
            phase.head_started = Some(Instant::now());
        }
    }

    fn deadline(&self) -> Option<(Instant, Expired)> {
        let phase = self.phase();
        if phase.in_flight > 0 {
            None
        } else if !phase.served {
            Some((phase.idle_since + self.header_read, Expired::HeaderRead))
        } else if let Some(started) = phase.head_started {
            Some((started + self.header_read, Expired::HeaderRead))
        } else {
            Some((
                phase.idle_since + self.keep_alive_idle,
                Expired::KeepAliveIdle,
            ))
        }
    }

    /// Completes when the connection has passed its deadline.
    ///
    /// Nothing wakes the watchdog when the phase changes (that would cost a wake-up of the
    /// connection's task per request); it looks again at least every `recheck`, the shorter
    /// timeout. That is enough to meet every deadline exactly: a deadline set after a look
    /// is at least `recheck` after it, so the next look comes before the deadline and sleeps
    /// until it.
    async fn expired(&self) -> Expired {
        let sleep = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(sleep);
        loop {
            let now = Instant::now();
            let next_look = now + self.recheck;
            match self.deadline() {
                Some((at, reason)) if at <= now => return reason,
                Some((at, _)) => sleep.as_mut().reset(at.min(next_look)),
                None => sleep.as_mut().reset(next_look),
            }
            (&mut sleep).await;
        }
    }
}

/// A request in flight; dropped with its response body (or with the request, when the
/// connection ends first).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut phase = self.0.phase();
        phase.in_flight -= 1;
        if phase.in_flight == 0 {
            phase.idle_since = Instant::now();
            phase.head_started = None;
        }
    }
}

/// A response body that keeps its request counted in flight until hyper has sent it all: a
/// streamed export is still a request in progress, not an idle connection.
pub struct InFlightBody {
    inner: Body,
    _in_flight: InFlight,
}

impl HttpBody for InFlightBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The socket, telling [`Activity`] when bytes arrive.
struct Observed {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Observed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.bytes_arrived();
        }
        polled
    }
}

impl AsyncWrite for Observed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Set on a request whose body missed its deadline.
#[derive(Clone, Default)]
struct BodyTimedOut(Arc<AtomicBool>);

/// A request body that must be complete by a fixed deadline. The deadline is for the whole
/// body, not for each chunk (as tower-http's `RequestBodyTimeout` is): a client that sends one
/// byte every few seconds would otherwise never time out.
struct DeadlineBody {
    inner: Incoming,
    deadline: Instant,
    /// Made when the body first has nothing ready: a body already in the buffer (most are)
    /// and one the handler never reads cost no timer. A body that keeps arriving faster than
    /// it is read is not slow, and the body-size limits end it.
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    timed_out: BodyTimedOut,
    seconds: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {0} seconds")]
struct BodyDeadlinePassed(u64);

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.as_mut().poll(cx).is_ready() {
            this.timed_out.0.store(true, Ordering::Relaxed);
            metrics::counter!("latchkey_http_body_timeouts_total").increment(1);
            return Poll::Ready(Some(Err(Box::new(BodyDeadlinePassed(this.seconds)))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The answer to a request whose body missed its deadline, in place of whatever the handler
/// made of the failed read (it saw an error): `408`, and for HTTP/1 `Connection: close`, since
/// the rest of that body may still be on its way. The token endpoint answers in its RFC 6749
/// form, everything else with the envelope; the request id of the handler's answer is kept.
/// Request metrics and the trace have seen the handler's answer; the body timeout itself is
/// counted in `latchkey_http_body_timeouts_total`.
fn body_timeout_response(handled: &Response, token_endpoint: bool, version: Version) -> Response {
    let message = ResultStatus::RequestTimeout.default_message();
    let mut replaced = if token_endpoint {
        (
            StatusCode::REQUEST_TIMEOUT,
            axum::Json(OAuthError {
                error: OAuthErrorCode::InvalidRequest,
                error_description: Some(message.to_owned()),
            }),
        )
            .into_response()
    } else {
        ApiError::new(ResultStatus::RequestTimeout, message).into_response()
    };
    let headers = replaced.headers_mut();
    if let Some(id) = handled.headers().get("x-request-id") {
        headers.insert("x-request-id", id.clone());
    }
    if version < Version::HTTP_2 {
        // HTTP/2 has no Connection header: there only the stream ends, and the connection
        // serves its other streams.
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    replaced
}
