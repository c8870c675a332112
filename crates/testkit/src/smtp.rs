//! An SMTP sink for tests: a minimal SMTP server on a free loopback port that accepts every
//! message and keeps it, so a test can read the email the server sent (and the link in it).
//!
//! It speaks just enough of RFC 5321 for a real client (`lettre`): greeting, `EHLO`/`HELO`,
//! `MAIL FROM`, `RCPT TO`, `DATA` with dot-unstuffing, `RSET`, `NOOP`, `QUIT`. No TLS, no AUTH.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// One received message.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as transmitted: headers, a blank line, the encoded body.
    pub data: String,
}

impl Mail {
    /// The first header called `name` (any case), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let mut found: Option<String> = None;
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(value) = found.as_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                continue;
            }
            if found.is_some() {
                break;
            }
            if let Some((key, value)) = line.split_once(':')
                && key.trim().eq_ignore_ascii_case(name)
            {
                found = Some(value.trim().to_owned());
            }
        }
        found
    }

    /// The body, decoded from its `Content-Transfer-Encoding`.
    pub fn body(&self) -> String {
        let raw = self.data.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let encoding = self
            .header("content-transfer-encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        match encoding.as_str() {
            "base64" => {
                let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .unwrap_or_default();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            "quoted-printable" => quoted_printable(raw),
            _ => raw.to_owned(),
        }
    }

    /// The first set-password link in the body.
    pub fn password_link(&self) -> Option<String> {
        let body = self.body();
        let start = body.find("http")?;
        let link: String = body[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        link.contains("/console/password?").then_some(link)
    }
}

fn quoted_printable(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = joined.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The running sink. Stops when dropped.
pub struct SmtpSink {
    addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
    arrived: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMTP sink");
        let addr = listener.local_addr().expect("sink address");
        let mails = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        let (m, a) = (mails.clone(), arrived.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, m.clone(), a.clone()));
            }
        });
        Self {
            addr,
            mails,
            arrived,
            task,
        }
    }

    /// The `smtp_url` that points a server here.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Every message received so far.
    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().expect("mails").clone()
    }

    /// Removes and returns the oldest message to `to`, waiting up to 10 s for one.
    pub async fn next_mail_to(&self, to: &str) -> Mail {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.arrived.notified();
            {
                let mut mails = self.mails.lock().expect("mails");
                if let Some(i) = mails
                    .iter()
                    .position(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
                {
                    return mails.remove(i);
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("no email to {to} arrived within 10 s");
            }
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `<addr>` from `MAIL FROM:<addr>` or `RCPT TO:<addr> …`.
fn angle_address(arg: &str) -> String {
    let start = arg.find('<').map_or(0, |i| i + 1);
    let end = arg[start..].find('>').map_or(arg.len(), |i| start + i);
    arg[start..end].trim().to_owned()
}

async fn session(stream: TcpStream, mails: Arc<Mutex<Vec<Mail>>>, arrived: Arc<Notify>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    if write
        .write_all(b"220 latchkey-test-sink ESMTP\r\n")
        .await
        .is_err()
    {
        return;
    }
    let mut from = String::new();
    let mut to: Vec<String> = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250 latchkey-test-sink\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = angle_address(&line["MAIL FROM:".len()..]);
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(angle_address(&line["RCPT TO:".len()..]));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            if write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await
                .is_err()
            {
                return;
            }
            let mut data = String::new();
            loop {
                match lines.next_line().await {
                    Ok(Some(l)) if l == "." => break,
                    Ok(Some(l)) => {
                        // The client doubled every leading dot (RFC 5321 §4.5.2).
                        data.push_str(l.strip_prefix('.').unwrap_or(&l));
                        data.push_str("\r\n");
                    }
                    _ => return,
                }
            }
            mails.lock().expect("mails").push(Mail {
                from: from.clone(),
                to: std::mem::take(&mut to),
                data,
            });
            arrived.notify_waiters();
            b"250 OK: queued\r\n"
        } else if upper == "RSET" {
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 Bye\r\n").await;
            return;
        } else {
            b"502 Command not implemented\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_bodies_and_finds_links() {
        let mail = Mail {
            from: "a@b".into(),
            to: vec!["c@d".into()],
            data: "Subject: Hi\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
                   Open http://x/console/password?token=3DabcD&purpose=3Dcreate=\r\n now\r\n"
                .into(),
        };
        assert_eq!(mail.header("subject").as_deref(), Some("Hi"));
        assert_eq!(
            mail.password_link().as_deref(),
            Some("http://x/console/password?token=abcD&purpose=create")
        );
        let b64 = Mail {
            data: "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n".into(),
            ..mail
        };
        assert_eq!(b64.body(), "hello");
    }
}
