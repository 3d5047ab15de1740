//! `wss://` with rustls (feature `rustls`): the client side of [`connect`](crate::connect)
//! and [`connect_tls`](crate::connect_tls).
//!
//! Servers need nothing from here: [`accept`](crate::accept) runs over any tokio stream, so a
//! `tokio_rustls::TlsAcceptor`'s stream is accepted like a `TcpStream` (see the `tls` test
//! and `examples/echo_server_tokio.rs --tls-cert`); hyper and axum behind TLS upgrade the same
//! way, the stream under hyper's `Upgraded` being the TLS one.

use std::io;
use std::sync::{Arc, OnceLock};

use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// The configuration `connect` uses for `wss://`: the Mozilla root certificates
/// (`webpki-roots`), rustls' safe defaults with the *ring* provider, and ALPN `http/1.1` (the
/// opening handshake is HTTP/1.1; RFC 8441 over HTTP/2 is a separate path).
///
/// # Errors
/// Only if rustls refused its own default protocol versions for the provider.
pub fn default_client_config() -> Result<Arc<ClientConfig>, rustls::Error> {
    static CONFIG: OnceLock<Result<Arc<ClientConfig>, rustls::Error>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut config = ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()?
                .with_root_certificates(roots)
                .with_no_client_auth();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Ok(Arc::new(config))
        })
        .clone()
}

/// The TLS handshake over `tcp`, checking the certificate for `host` (a DNS name, or an IP
/// address with or without its IPv6 brackets).
pub(crate) async fn handshake(
    tcp: TcpStream,
    host: &str,
    config: Arc<ClientConfig>,
) -> io::Result<TlsStream<TcpStream>> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let name = ServerName::try_from(bare.to_owned())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{host}: {e}")))?;
    TlsConnector::from(config).connect(name, tcp).await
}
