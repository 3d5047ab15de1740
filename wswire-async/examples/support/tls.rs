//! `echo_server_tokio`'s TLS (feature `rustls`): a `tokio-rustls` acceptor from PEM files,
//! or from a certificate made at start-up for `localhost` and 127.0.0.1 (rcgen), written out
//! for clients to trust.

use std::sync::Arc;

use wswire_async::rustls::pki_types::pem::PemObject;
use wswire_async::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use wswire_async::rustls::{self, ServerConfig};
use wswire_async::tokio_rustls::TlsAcceptor;

/// The acceptor the options ask for (`--tls-cert` + `--tls-key`, or `--tls-self-signed
/// DIR`), or none without TLS options. Its ALPN is `http/1.1`: the opening handshake is
/// HTTP/1.1 (browsers offer h2 too; they get http/1.1).
#[allow(dead_code)] // h2_echo uses acceptor_with_alpn only
pub(crate) fn acceptor(options: &[(String, String)]) -> Result<Option<TlsAcceptor>, String> {
    acceptor_with_alpn(options, vec![b"http/1.1".to_vec()])
}

/// As [`acceptor`], with the ALPN protocols `alpn` (most preferred first).
pub(crate) fn acceptor_with_alpn(
    options: &[(String, String)],
    alpn: Vec<Vec<u8>>,
) -> Result<Option<TlsAcceptor>, String> {
    let get = |name: &str| {
        options
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (certs, key) = match (
        get("--tls-cert"),
        get("--tls-key"),
        get("--tls-self-signed"),
    ) {
        (None, None, None) => return Ok(None),
        (Some(cert), Some(key), None) => (
            CertificateDer::pem_file_iter(cert)
                .and_then(Iterator::collect)
                .map_err(|e| format!("{cert}: {e}"))?,
            PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{key}: {e}"))?,
        ),
        (None, None, Some(dir)) => self_signed(dir)?,
        _ => return Err("give --tls-cert and --tls-key, or --tls-self-signed DIR".to_owned()),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("certificate and key: {e}"))?;
    config.alpn_protocols = alpn;
    Ok(Some(TlsAcceptor::from(Arc::new(config))))
}

/// A self-signed certificate for `localhost` and 127.0.0.1, written to `dir/cert.pem` and
/// `dir/key.pem`.
fn self_signed(
    dir: &str,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let made = rcgen::generate_simple_self_signed(names).map_err(|e| e.to_string())?;
    let write = |name: &str, pem: String| {
        let path = std::path::Path::new(dir).join(name);
        std::fs::write(&path, pem).map_err(|e| format!("{}: {e}", path.display()))
    };
    write("cert.pem", made.cert.pem())?;
    write("key.pem", made.signing_key.serialize_pem())?;
    let key = PrivatePkcs8KeyDer::from(made.signing_key.serialize_der());
    Ok((vec![made.cert.der().clone()], key.into()))
}
