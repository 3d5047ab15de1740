//! TLS for the tests over HTTP/2: a self-signed certificate for `localhost` made at test
//! time, a server acceptor with the ALPN asked for, and a client that trusts only it.

use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use wswire_async::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use wswire_async::rustls::{self, RootCertStore};

/// A certificate for `localhost` and its key.
pub(crate) struct Tls {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl Tls {
    pub(crate) fn new() -> Self {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let key = PrivatePkcs8KeyDer::from(made.signing_key.serialize_der());
        Self {
            cert: made.cert.der().clone(),
            key: key.into(),
        }
    }

    pub(crate) fn acceptor(&self, alpn: Vec<Vec<u8>>) -> TlsAcceptor {
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![self.cert.clone()], self.key.clone_key())
            .unwrap();
        config.alpn_protocols = alpn;
        TlsAcceptor::from(Arc::new(config))
    }

    /// A client configuration that trusts only this certificate (ALPN `http/1.1`).
    pub(crate) fn client(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots.add(self.cert.clone()).unwrap();
        let mut config = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }
}

pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}
