//! Syslog transports: UDP (one datagram per message), TCP with RFC 6587 octet counting, and
//! TLS (RFC 5425: the same framing inside rustls).
//!
//! A stream cannot confirm delivery: a write succeeds into the kernel's buffer even after the
//! receiver has gone. So the sender looks before it writes: a connection that has been quiet
//! is peeked, and one the receiver closed (end of stream, or a TLS alert waiting) is replaced
//! before anything is written to it. What was written shortly before a failure may still be
//! lost in buffers; the forwarder resends that window ([`super::REPLAY_WINDOW`]). UDP gives no
//! signal at all: what is sent counts as delivered.

use std::sync::Arc;
use std::time::{Duration, Instant};

use latchkey_domain::siem::Transport;
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// A connection idle longer than this is checked before it is written to.
const CHECK_AFTER: Duration = Duration::from_millis(200);
/// The most a UDP datagram carries; longer messages are cut (RFC 5426 §3.2 asks receivers for
/// at least 2048 octets; IPv4 allows 65,507).
const UDP_MAX: usize = 65_000;

enum Connection {
    Udp(UdpSocket),
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Connection {
    fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Self::Udp(_) => None,
            Self::Tcp(s) => Some(s),
            Self::Tls(s) => Some(s.get_ref().0),
        }
    }
}

/// A sender to one syslog receiver.
pub struct SyslogSender {
    host: String,
    port: u16,
    transport: Transport,
    tls: Option<Arc<ClientConfig>>,
    connection: Option<Connection>,
    last_used: Instant,
}

impl SyslogSender {
    pub fn new(
        host: &str,
        port: u16,
        transport: Transport,
        ca_pem: Option<&str>,
    ) -> Result<Self, String> {
        let tls = match transport {
            Transport::Tls => Some(super::tls::client_config(ca_pem)?),
            _ => None,
        };
        Ok(Self {
            host: host.to_owned(),
            port,
            transport,
            tls,
            connection: None,
            last_used: Instant::now(),
        })
    }

    /// Whether a successful send means the receiver took the messages (TCP and TLS: written
    /// to a connection the receiver had not closed) or only that they left (UDP).
    pub fn confirms(&self) -> bool {
        self.transport != Transport::Udp
    }

    /// Drops the connection: the next send opens a new one.
    pub fn reset(&mut self) {
        self.connection = None;
    }

    async fn connect(&self) -> Result<Connection, String> {
        let address = (self.host.as_str(), self.port);
        match self.transport {
            Transport::Udp => {
                let bind = if self.host.contains(':') {
                    "[::]:0"
                } else {
                    "0.0.0.0:0"
                };
                let socket = UdpSocket::bind(bind)
                    .await
                    .map_err(|e| format!("UDP socket: {e}"))?;
                tokio::time::timeout(CONNECT_TIMEOUT, socket.connect(address))
                    .await
                    .map_err(|_| format!("resolving {} timed out", self.host))?
                    .map_err(|e| format!("UDP {}:{}: {e}", self.host, self.port))?;
                Ok(Connection::Udp(socket))
            }
            Transport::Tcp | Transport::Tls => {
                let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address))
                    .await
                    .map_err(|_| format!("connecting to {}:{} timed out", self.host, self.port))?
                    .map_err(|e| format!("connecting to {}:{}: {e}", self.host, self.port))?;
                let _ = stream.set_nodelay(true);
                let Some(tls) = &self.tls else {
                    return Ok(Connection::Tcp(stream));
                };
                let name = ServerName::try_from(self.host.clone())
                    .map_err(|e| format!("'{}' cannot be a TLS server name: {e}", self.host))?;
                let stream = tokio::time::timeout(
                    CONNECT_TIMEOUT,
                    TlsConnector::from(tls.clone()).connect(name, stream),
                )
                .await
                .map_err(|_| format!("TLS handshake with {}:{} timed out", self.host, self.port))?
                .map_err(|e| format!("TLS handshake with {}:{}: {e}", self.host, self.port))?;
                Ok(Connection::Tls(Box::new(stream)))
            }
        }
    }

    /// Whether the receiver has closed (or is closing) the connection. Receivers do not send
    /// on a syslog connection, so anything readable is its end: end of stream, or a TLS
    /// close alert. Peeking leaves it unread.
    async fn closed(stream: &TcpStream) -> bool {
        let mut byte = [0u8; 1];
        match tokio::time::timeout(Duration::ZERO, stream.peek(&mut byte)).await {
            Err(_) => false,
            Ok(Ok(_) | Err(_)) => true,
        }
    }

    /// Sends `messages` (RFC 5424 texts), each framed for the transport, in one write.
    pub async fn send(&mut self, messages: &[String]) -> Result<(), String> {
        if let Some(stream) = self.connection.as_ref().and_then(Connection::tcp)
            && self.last_used.elapsed() > CHECK_AFTER
            && Self::closed(stream).await
        {
            self.connection = None;
        }
        let mut connection = match self.connection.take() {
            Some(c) => c,
            None => self.connect().await?,
        };
        let sent = match &mut connection {
            Connection::Udp(socket) => {
                for m in messages {
                    let bytes = &m.as_bytes()[..m.len().min(UDP_MAX)];
                    socket
                        .send(bytes)
                        .await
                        .map_err(|e| format!("UDP send to {}:{}: {e}", self.host, self.port))?;
                }
                Ok(())
            }
            Connection::Tcp(stream) => write_framed(stream, messages).await,
            Connection::Tls(stream) => write_framed(stream.as_mut(), messages).await,
        };
        sent.map_err(|e| format!("writing to {}:{}: {e}", self.host, self.port))?;
        self.last_used = Instant::now();
        self.connection = Some(connection);
        Ok(())
    }
}

/// Writes the messages with octet-counting framing (`<length> <message>`) and flushes.
async fn write_framed<W: tokio::io::AsyncWrite + Unpin>(
    w: &mut W,
    messages: &[String],
) -> Result<(), String> {
    let mut buffer = Vec::with_capacity(messages.iter().map(|m| m.len() + 8).sum());
    for m in messages {
        buffer.extend_from_slice(m.len().to_string().as_bytes());
        buffer.push(b' ');
        buffer.extend_from_slice(m.as_bytes());
    }
    let write = async {
        w.write_all(&buffer).await?;
        w.flush().await
    };
    tokio::time::timeout(WRITE_TIMEOUT, write)
        .await
        .map_err(|_| "the write timed out".to_owned())?
        .map_err(|e| e.to_string())
}
