//! The TLS client configuration for SIEM receivers: rustls on the aws-lc-rs provider, trusting
//! the CA certificates a destination names or, when it names none, the web PKI roots
//! (webpki-roots, so that trust does not depend on the machine's certificate store).

use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// Checks a PEM bundle: at least one certificate, each one parsable.
pub fn check_ca_pem(pem: &str) -> Result<(), String> {
    roots(Some(pem)).map(|_| ())
}

fn roots(ca_pem: Option<&str>) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    match ca_pem {
        None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let cert = cert.map_err(|e| format!("caCertificate is not valid PEM: {e}"))?;
                store
                    .add(cert)
                    .map_err(|e| format!("caCertificate holds an unusable certificate: {e}"))?;
            }
            if store.is_empty() {
                return Err("caCertificate holds no PEM certificate".to_owned());
            }
        }
    }
    Ok(store)
}

/// A client configuration trusting `ca_pem` (or the web PKI).
pub fn client_config(ca_pem: Option<&str>) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .with_root_certificates(roots(ca_pem)?)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
