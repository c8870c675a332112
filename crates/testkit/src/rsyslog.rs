//! Debian's real rsyslog as a syslog receiver for tests.
//!
//! [`Rsyslog::start`] runs `/usr/sbin/rsyslogd -n` as a child process (killed on drop) with its
//! own configuration in a temporary directory: no system inputs, only the listeners asked for, on
//! free loopback ports:
//!
//! - plain TCP (`imtcp`), where RFC 6587 octet counting (`<len> <msg>`) is accepted, as is
//!   newline-terminated framing;
//! - UDP (`imudp`), one message per datagram (RFC 5426);
//! - TLS (`imtcp` with the GnuTLS stream driver from `rsyslog-gnutls`, RFC 5425), with a server
//!   certificate for `localhost` and 127.0.0.1 issued by a CA generated at start;
//!   [`Rsyslog::ca_pem`] is what the client must trust.
//!
//! Every message is written to a file exactly as received (`%rawmsg%`, without the octet-count
//! frame), one line each, so a test can parse the RFC 5424 header and the payload itself
//! ([`Rsyslog::messages`]). A second file keeps rsyslog's own parse of each message as JSON
//! ([`Rsyslog::records`]), a cross-check that rsyslog read the header the way it was meant.
//! Messages up to 64 KiB are kept whole (`maxMessageSize`). Control characters inside a message
//! are written as `#012` and the like (rsyslog's default), so one message is always one line.
//!
//! The packages are `rsyslog` and `rsyslog-gnutls`; `scripts/test` installs them. Without them
//! [`Rsyslog::start`] panics: a test that needs a syslog receiver must not pass without one.

use std::fs::{self, OpenOptions};
use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

/// Where Debian's package puts the daemon; `LATCHKEY_RSYSLOGD` names another.
pub const RSYSLOGD: &str = "/usr/sbin/rsyslogd";

const INSTALL_HINT: &str = "install rsyslog rsyslog-gnutls, or run scripts/test";

/// Which listeners to open.
#[derive(Debug, Clone, Copy)]
pub struct RsyslogOptions {
    pub tcp: bool,
    pub udp: bool,
    pub tls: bool,
}

impl Default for RsyslogOptions {
    /// All three.
    fn default() -> Self {
        Self {
            tcp: true,
            udp: true,
            tls: true,
        }
    }
}

/// A running rsyslogd. Killed when dropped.
pub struct Rsyslog {
    dir: tempfile::TempDir,
    tcp: Option<u16>,
    udp: Option<u16>,
    tls: Option<u16>,
    ca_pem: Option<String>,
    ca_der: Option<Vec<u8>>,
    child: Mutex<Option<Child>>,
}

/// The test PKI: a CA and a server certificate it issued.
struct Pki {
    ca_pem: String,
    ca_der: Vec<u8>,
    cert_pem: String,
    key_pem: String,
}

fn generate_pki() -> Result<Pki, rcgen::Error> {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, KeyUsagePurpose,
    };
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Latchkey test syslog CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let issuer = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;

    let mut server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
    server
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    server.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate()?;
    let cert = server.signed_by(&key, &issuer)?;
    Ok(Pki {
        ca_pem: issuer.pem(),
        ca_der: issuer.der().to_vec(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// A port that was free a moment ago. rsyslog binds it itself, so there is a small window in
/// which another process could take it; [`Rsyslog::start`] then tries other ports.
fn free_tcp_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free TCP port")
}

fn free_udp_port() -> u16 {
    UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("find a free UDP port")
}

fn rsyslogd_path() -> PathBuf {
    let path = std::env::var_os("LATCHKEY_RSYSLOGD")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(RSYSLOGD));
    assert!(
        path.exists(),
        "{} not found: {INSTALL_HINT}",
        path.display()
    );
    path
}

/// rsyslog's string syntax: backslash and double quote escaped.
fn quoted(path: &Path) -> String {
    let text = path.display().to_string();
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Rsyslog {
    /// Starts rsyslogd with the listeners in `options` and waits until they accept.
    ///
    /// Panics, with rsyslogd's own output, when it cannot be started.
    pub async fn start(options: RsyslogOptions) -> Self {
        let daemon = rsyslogd_path();
        if options.tls {
            // Debian puts it under the multiarch directory, e.g. /usr/lib/x86_64-linux-gnu.
            let driver_found = fs::read_dir("/usr/lib")
                .into_iter()
                .flatten()
                .flatten()
                .any(|entry| entry.path().join("rsyslog/lmnsd_gtls.so").exists());
            assert!(
                driver_found,
                "the rsyslog GnuTLS driver (lmnsd_gtls.so) is missing: {INSTALL_HINT}"
            );
        }
        let mut dir = tempfile::Builder::new()
            .prefix("latchkey-rsyslog")
            .tempdir()
            .expect("temporary directory for rsyslog");
        fs::create_dir(dir.path().join("work")).expect("rsyslog work directory");
        let pki = options
            .tls
            .then(|| generate_pki().expect("generate the test CA and certificate"));
        if let Some(pki) = &pki {
            fs::write(dir.path().join("ca.pem"), &pki.ca_pem).expect("write ca.pem");
            fs::write(dir.path().join("cert.pem"), &pki.cert_pem).expect("write cert.pem");
            fs::write(dir.path().join("key.pem"), &pki.key_pem).expect("write key.pem");
        }

        let mut last_failure = String::new();
        for _ in 0..5 {
            let receiver = Self {
                tcp: options.tcp.then(free_tcp_port),
                udp: options.udp.then(free_udp_port),
                tls: options.tls.then(free_tcp_port),
                ca_pem: pki.as_ref().map(|p| p.ca_pem.clone()),
                ca_der: pki.as_ref().map(|p| p.ca_der.clone()),
                child: Mutex::new(None),
                dir,
            };
            fs::write(receiver.conf_path(), receiver.config()).expect("write rsyslog.conf");
            match receiver.launch(&daemon).await {
                Ok(()) => return receiver,
                Err(failure) => {
                    last_failure = failure;
                    dir = receiver.into_dir();
                }
            }
        }
        panic!("rsyslogd did not start:\n{last_failure}");
    }

    /// Gives the directory back after a failed start, so the next try reuses the certificates.
    fn into_dir(mut self) -> tempfile::TempDir {
        self.kill();
        let placeholder = tempfile::tempdir().expect("temporary directory");
        std::mem::replace(&mut self.dir, placeholder)
    }

    fn conf_path(&self) -> PathBuf {
        self.dir.path().join("rsyslog.conf")
    }

    fn output_path(&self) -> PathBuf {
        self.dir.path().join("received.log")
    }

    fn records_path(&self) -> PathBuf {
        self.dir.path().join("received.jsonl")
    }

    fn daemon_log_path(&self) -> PathBuf {
        self.dir.path().join("rsyslogd.out")
    }

    /// The whole configuration. Inputs are bound to their own ruleset so that rsyslog's own
    /// start-up and error messages never reach the output files.
    fn config(&self) -> String {
        let dir = self.dir.path();
        let mut conf = String::new();
        // Must come before the inputs: it sizes their buffers.
        conf.push_str(&format!(
            "global(workDirectory={} maxMessageSize=\"64k\"",
            quoted(&dir.join("work"))
        ));
        if self.tls.is_some() {
            conf.push_str(&format!(
                "\n  defaultNetstreamDriverCAFile={}\n  defaultNetstreamDriverCertFile={}\n  \
                 defaultNetstreamDriverKeyFile={}",
                quoted(&dir.join("ca.pem")),
                quoted(&dir.join("cert.pem")),
                quoted(&dir.join("key.pem")),
            ));
        }
        conf.push_str(")\n");
        if self.tcp.is_some() || self.tls.is_some() {
            conf.push_str("module(load=\"imtcp\")\n");
        }
        if self.udp.is_some() {
            conf.push_str("module(load=\"imudp\")\n");
        }
        conf.push_str(
            "template(name=\"raw\" type=\"string\" string=\"%rawmsg%\\n\")\n\
             template(name=\"parsed\" type=\"list\") {\n  \
               constant(value=\"{\\\"input\\\":\\\"\")      property(name=\"inputname\" format=\"json\")\n  \
               constant(value=\"\\\",\\\"facility\\\":\\\"\") property(name=\"syslogfacility\" format=\"json\")\n  \
               constant(value=\"\\\",\\\"severity\\\":\\\"\") property(name=\"syslogseverity\" format=\"json\")\n  \
               constant(value=\"\\\",\\\"version\\\":\\\"\") property(name=\"protocol-version\" format=\"json\")\n  \
               constant(value=\"\\\",\\\"timestamp\\\":\\\"\") property(name=\"timereported\" dateFormat=\"rfc3339\" format=\"json\")\n  \
               constant(value=\"\\\",\\\"hostname\\\":\\\"\") property(name=\"hostname\" format=\"json\")\n  \
               constant(value=\"\\\",\\\"app_name\\\":\\\"\") property(name=\"app-name\" format=\"json\")\n  \
               constant(value=\"\\\",\\\"procid\\\":\\\"\")   property(name=\"procid\" format=\"json\")\n  \
               constant(value=\"\\\",\\\"msgid\\\":\\\"\")    property(name=\"msgid\" format=\"json\")\n  \
               constant(value=\"\\\",\\\"structured_data\\\":\\\"\") property(name=\"structured-data\" format=\"json\")\n  \
               constant(value=\"\\\",\\\"msg\\\":\\\"\")      property(name=\"msg\" format=\"json\")\n  \
               constant(value=\"\\\"}\\n\")\n\
             }\n",
        );
        conf.push_str(&format!(
            "ruleset(name=\"received\") {{\n  \
               action(type=\"omfile\" file={} template=\"raw\" flushOnTXEnd=\"on\" asyncWriting=\"off\")\n  \
               action(type=\"omfile\" file={} template=\"parsed\" flushOnTXEnd=\"on\" asyncWriting=\"off\")\n\
             }}\n",
            quoted(&self.output_path()),
            quoted(&self.records_path()),
        ));
        if let Some(port) = self.tcp {
            conf.push_str(&format!(
                "input(type=\"imtcp\" name=\"tcp\" address=\"127.0.0.1\" port=\"{port}\" \
                 ruleset=\"received\" supportOctetCountedFraming=\"on\")\n"
            ));
        }
        if let Some(port) = self.tls {
            conf.push_str(&format!(
                "input(type=\"imtcp\" name=\"tls\" address=\"127.0.0.1\" port=\"{port}\" \
                 ruleset=\"received\" supportOctetCountedFraming=\"on\"\n  \
                 streamDriver.name=\"gtls\" streamDriver.mode=\"1\" streamDriver.authMode=\"anon\"\n  \
                 streamDriver.CAFile={} streamDriver.CertFile={} streamDriver.KeyFile={})\n",
                quoted(&dir.join("ca.pem")),
                quoted(&dir.join("cert.pem")),
                quoted(&dir.join("key.pem")),
            ));
        }
        if let Some(port) = self.udp {
            conf.push_str(&format!(
                "input(type=\"imudp\" name=\"udp\" address=\"127.0.0.1\" port=\"{port}\" \
                 ruleset=\"received\")\n"
            ));
        }
        conf
    }

    /// Spawns rsyslogd and waits until every listener is open; rsyslogd's output on failure.
    async fn launch(&self, daemon: &Path) -> Result<(), String> {
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.daemon_log_path())
            .map_err(|e| format!("cannot open the rsyslogd output file: {e}"))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("cannot open the rsyslogd output file: {e}"))?;
        let pidfile = self.dir.path().join("rsyslogd.pid");
        let _ = fs::remove_file(&pidfile);
        let child = Command::new(daemon)
            .arg("-n")
            .arg("-f")
            .arg(self.conf_path())
            .arg("-i")
            .arg(&pidfile)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e} ({INSTALL_HINT})", daemon.display()))?;
        *self.child() = Some(child);

        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self
                .child()
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                *self.child() = None;
                return Err(format!(
                    "rsyslogd exited with {status}:\n{}",
                    self.daemon_output()
                ));
            }
            if self.listening() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                self.kill();
                return Err(format!(
                    "rsyslogd did not open its ports within 15 s:\n{}",
                    self.daemon_output()
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Whether every listener is open. TCP: a connection is accepted. UDP: the port is taken
    /// (datagrams sent from then on wait in the socket until rsyslog reads them).
    fn listening(&self) -> bool {
        let tcp_open = |port: Option<u16>| {
            port.is_none_or(|port| {
                TcpStream::connect_timeout(
                    &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                    Duration::from_millis(200),
                )
                .is_ok()
            })
        };
        let udp_taken = self.udp.is_none_or(|port| {
            matches!(
                UdpSocket::bind((Ipv4Addr::LOCALHOST, port)),
                Err(e) if e.kind() == ErrorKind::AddrInUse
            )
        });
        tcp_open(self.tcp) && tcp_open(self.tls) && udp_taken
    }

    fn child(&self) -> MutexGuard<'_, Option<Child>> {
        self.child
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn kill(&self) {
        if let Some(mut child) = self.child().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// What rsyslogd printed (all runs), for failure messages.
    pub fn daemon_output(&self) -> String {
        fs::read_to_string(self.daemon_log_path()).unwrap_or_default()
    }

    /// The configuration rsyslogd runs with.
    pub fn config_text(&self) -> String {
        fs::read_to_string(self.conf_path()).unwrap_or_default()
    }

    /// The plain TCP port. Panics when TCP was not asked for.
    pub fn tcp_port(&self) -> u16 {
        self.tcp.expect("this rsyslog has no TCP listener")
    }

    /// The UDP port. Panics when UDP was not asked for.
    pub fn udp_port(&self) -> u16 {
        self.udp.expect("this rsyslog has no UDP listener")
    }

    /// The TLS port. Panics when TLS was not asked for.
    pub fn tls_port(&self) -> u16 {
        self.tls.expect("this rsyslog has no TLS listener")
    }

    /// The test CA certificate (PEM) that issued the TLS listener's certificate. Panics when TLS
    /// was not asked for.
    pub fn ca_pem(&self) -> String {
        self.ca_pem
            .clone()
            .expect("this rsyslog has no TLS listener")
    }

    /// The same CA certificate, DER encoded.
    pub fn ca_der(&self) -> Vec<u8> {
        self.ca_der
            .clone()
            .expect("this rsyslog has no TLS listener")
    }

    /// Every message received so far, as received (without octet-count framing), in the order
    /// rsyslog wrote them.
    pub fn messages(&self) -> Vec<String> {
        read_lines(&self.output_path())
    }

    /// rsyslog's parse of every message so far, one JSON object each, with the string members
    /// `input` (`tcp`, `tls` or `udp`), `facility`, `severity`, `version`, `timestamp`,
    /// `hostname`, `app_name`, `procid`, `msgid`, `structured_data` and `msg`.
    pub fn records(&self) -> Vec<Value> {
        read_lines(&self.records_path())
            .iter()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| {
                    panic!("rsyslog wrote a record that is not JSON ({e}): {line}")
                })
            })
            .collect()
    }

    /// Waits until at least `n` messages have been written; false if `timeout` passes first.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.messages().len() >= n {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops rsyslogd (SIGKILL, like a crash) and waits for it to exit: the ports are closed.
    pub async fn stop(&self) {
        self.kill();
    }

    /// Starts rsyslogd again with the same configuration, ports and output files, so messages
    /// accumulate; stops it first if it runs.
    pub async fn restart(&self) {
        self.kill();
        let daemon = rsyslogd_path();
        let mut last_failure = String::new();
        // The ports were just released; should something hold one a moment longer, try again.
        for _ in 0..10 {
            match self.launch(&daemon).await {
                Ok(()) => return,
                Err(failure) => last_failure = failure,
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("rsyslogd did not restart:\n{last_failure}");
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        self.kill();
    }
}

fn read_lines(path: &Path) -> Vec<String> {
    let Ok(bytes) = fs::read(path) else {
        return Vec::new();
    };
    // Only whole lines: rsyslog may be in the middle of writing the last one.
    let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    String::from_utf8_lossy(&bytes[..complete])
        .lines()
        .map(str::to_owned)
        .collect()
}
