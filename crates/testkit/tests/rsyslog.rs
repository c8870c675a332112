//! The rsyslog receiver keeps messages intact over TCP (octet counting), UDP and TLS.

use std::sync::Arc;
use std::time::Duration;

use latchkey_testkit::rsyslog::{Rsyslog, RsyslogOptions};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket};

const WAIT: Duration = Duration::from_secs(10);

/// An RFC 5424 message with structured data and a CEF payload full of the characters that
/// framing and escaping get wrong.
fn message(n: usize, extra: &str) -> String {
    format!(
        "<110>1 2026-12-04T15:00:00.123Z latchkey.test latchkey 4242 audit \
         [latchkey@32473 event=\"user.created\" n=\"{n}\"] \
         CEF:0|Latchkey|Latchkey|0.1|user.created|User created|3|\
         act=user.created suser=alice@example.com msg=spaces and = signs and \\| pipes \"quoted\" {extra}"
    )
}

/// RFC 6587 octet counting: the length in bytes, a space, the message.
fn framed(message: &str) -> Vec<u8> {
    format!("{} {message}", message.len()).into_bytes()
}

fn long_payload() -> String {
    format!("{}end", "abcdefghij=|\" ".repeat(600))
}

async fn send_tcp(port: u16, messages: &[String]) {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect to rsyslog");
    for message in messages {
        stream.write_all(&framed(message)).await.expect("send");
    }
    stream.shutdown().await.expect("close");
}

fn tls_connector(ca_pem: &str) -> tokio_rustls::TlsConnector {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.expect("CA PEM")).expect("CA certificate");
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn tcp_with_octet_counting_keeps_messages_whole() {
    let syslog = Rsyslog::start(RsyslogOptions {
        tcp: true,
        udp: false,
        tls: false,
    })
    .await;
    let sent = vec![message(1, ""), message(2, &long_payload()), message(3, "")];
    assert!(sent[1].len() > 8000);
    send_tcp(syslog.tcp_port(), &sent).await;
    assert!(syslog.wait_for(3, WAIT).await, "{}", syslog.daemon_output());
    assert_eq!(syslog.messages(), sent);

    let records = syslog.records();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["input"], "tcp");
    assert_eq!(records[0]["hostname"], "latchkey.test");
    assert_eq!(records[0]["app_name"], "latchkey");
    assert_eq!(records[0]["procid"], "4242");
    assert_eq!(records[0]["msgid"], "audit");
    assert_eq!(records[0]["facility"], "13");
    assert_eq!(records[0]["severity"], "6");
    assert_eq!(
        records[0]["structured_data"],
        "[latchkey@32473 event=\"user.created\" n=\"1\"]"
    );
    assert!(
        records[0]["msg"]
            .as_str()
            .is_some_and(|m| m.starts_with("CEF:0|Latchkey|"))
    );
}

#[tokio::test]
async fn udp_takes_one_message_per_datagram() {
    let syslog = Rsyslog::start(RsyslogOptions {
        tcp: false,
        udp: true,
        tls: false,
    })
    .await;
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("UDP socket");
    let sent = vec![message(1, ""), message(2, &long_payload())];
    for message in &sent {
        socket
            .send_to(message.as_bytes(), ("127.0.0.1", syslog.udp_port()))
            .await
            .expect("send datagram");
    }
    assert!(syslog.wait_for(2, WAIT).await, "{}", syslog.daemon_output());
    assert_eq!(syslog.messages(), sent);
    assert_eq!(syslog.records()[0]["input"], "udp");
}

#[tokio::test]
async fn tls_is_served_with_a_certificate_from_the_test_ca() {
    let syslog = Rsyslog::start(RsyslogOptions {
        tcp: false,
        udp: false,
        tls: true,
    })
    .await;
    assert!(syslog.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    let connector = tls_connector(&syslog.ca_pem());
    let sent = vec![message(1, ""), message(2, &long_payload())];
    for name in ["localhost", "127.0.0.1"] {
        let tcp = TcpStream::connect(("127.0.0.1", syslog.tls_port()))
            .await
            .expect("connect to rsyslog");
        let server_name = ServerName::try_from(name.to_owned()).expect("server name");
        let mut tls = connector
            .connect(server_name, tcp)
            .await
            .unwrap_or_else(|e| panic!("TLS handshake as {name}: {e}\n{}", syslog.daemon_output()));
        for message in &sent {
            tls.write_all(&framed(message)).await.expect("send");
        }
        tls.shutdown().await.expect("close");
    }
    assert!(syslog.wait_for(4, WAIT).await, "{}", syslog.daemon_output());
    let mut expected = sent.clone();
    expected.extend(sent.clone());
    assert_eq!(syslog.messages(), expected);
    assert_eq!(syslog.records()[0]["input"], "tls");

    // A client that trusts some other CA is refused.
    let other = Rsyslog::start(RsyslogOptions {
        tcp: false,
        udp: false,
        tls: true,
    })
    .await;
    let tcp = TcpStream::connect(("127.0.0.1", syslog.tls_port()))
        .await
        .expect("connect to rsyslog");
    let refused = tls_connector(&other.ca_pem())
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn messages_accumulate_across_stop_and_restart() {
    let syslog = Rsyslog::start(RsyslogOptions::default()).await;
    let first = vec![message(1, "")];
    send_tcp(syslog.tcp_port(), &first).await;
    assert!(syslog.wait_for(1, WAIT).await, "{}", syslog.daemon_output());

    syslog.stop().await;
    let refused = TcpStream::connect(("127.0.0.1", syslog.tcp_port())).await;
    assert!(refused.is_err(), "the TCP port is closed while stopped");

    syslog.restart().await;
    let second = vec![message(2, "")];
    send_tcp(syslog.tcp_port(), &second).await;
    assert!(syslog.wait_for(2, WAIT).await, "{}", syslog.daemon_output());
    assert_eq!(syslog.messages(), vec![first[0].clone(), second[0].clone()]);
}
