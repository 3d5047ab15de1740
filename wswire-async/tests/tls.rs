//! `wss://` over loopback with a certificate generated at test time (rcgen): our client
//! against our server over tokio-rustls, hyper behind TLS, and the default roots refusing a
//! certificate nobody vouches for.
#![cfg(all(feature = "rustls", feature = "hyper"))]

use std::convert::Infallible;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use wswire::connection::Config;
use wswire::extensions::deflate::DeflateServer;
use wswire::handshake::ServerConfig;
use wswire_async::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use wswire_async::rustls::{self, RootCertStore};
use wswire_async::{Error, Message, WebSocket, accept, connect, connect_tls};

/// A self-signed certificate for `localhost` and its key.
fn certificate() -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let key = PrivatePkcs8KeyDer::from(made.signing_key.serialize_der());
    (made.cert.der().clone(), key.into())
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn acceptor(cert: CertificateDer<'static>, key: PrivateKeyDer<'static>) -> TlsAcceptor {
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

/// A client configuration that trusts only `cert`.
fn trusting(cert: CertificateDer<'static>) -> Arc<rustls::ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// Echoes every data message of `ws` until it ends.
async fn echo<S, R: wswire_async::Runtime<S>>(mut ws: WebSocket<S, R>) -> Result<(), Error> {
    while let Some(m) = ws.recv().await {
        if let m @ (Message::Text(_) | Message::Binary(_)) = m? {
            ws.send(m).await?;
        }
    }
    Ok(())
}

/// A wss echo server (wswire's handshake over tokio-rustls); returns its port.
async fn wss_server(acceptor: TlsAcceptor) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut server = ServerConfig::default();
    server.extension(Box::new(DeflateServer::default()));
    let server = Arc::new(server);
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let (acceptor, server) = (acceptor.clone(), Arc::clone(&server));
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Ok(ws) =
                    accept::<_, wswire_async::Tokio>(tls, server, Config::default()).await
                {
                    let _ = echo(ws).await;
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn wss_echoes_with_deflate_between_our_client_and_our_server() {
    let (cert, key) = certificate();
    let port = wss_server(acceptor(cert.clone(), key)).await;
    let url = format!("wss://localhost:{port}/echo");
    let mut ws = connect_tls(&url, Config::default(), trusting(cert))
        .await
        .unwrap();
    assert!(
        ws.negotiated()
            .extensions()
            .iter()
            .any(|e| e.name() == "permessage-deflate"),
        "{:?}",
        ws.negotiated()
    );
    let text = "wss ".repeat(50_000);
    let blob: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    for m in [Message::text(text), Message::binary(blob)] {
        ws.send(m.clone()).await.unwrap();
        assert_eq!(ws.recv().await.unwrap().unwrap(), m);
    }
    ws.close(wswire::CloseCode::NORMAL, "bye").await.unwrap();
}

#[tokio::test]
async fn the_default_roots_refuse_a_self_signed_certificate() {
    let (cert, key) = certificate();
    let port = wss_server(acceptor(cert, key)).await;
    match connect(&format!("wss://localhost:{port}/"), Config::default()).await {
        Err(Error::Io(e)) => assert!(e.to_string().contains("certificate"), "{e}"),
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

#[tokio::test]
async fn hyper_behind_tls_upgrades_to_a_wss_websocket() {
    let (cert, key) = certificate();
    let acceptor = acceptor(cert.clone(), key);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let server = Arc::new(ServerConfig::default());
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let (acceptor, server) = (acceptor.clone(), Arc::clone(&server));
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                    let (response, upgrading) =
                        wswire_async::hyper::upgrade(&mut req, &server, Config::default());
                    tokio::spawn(async move {
                        if let Ok(ws) = upgrading.await {
                            let _ = echo(ws).await;
                        }
                    });
                    async move { Ok::<_, Infallible>(response) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    let url = format!("wss://localhost:{port}/behind-hyper");
    let mut ws = connect_tls(&url, Config::default(), trusting(cert))
        .await
        .unwrap();
    ws.send(Message::text("through hyper and TLS"))
        .await
        .unwrap();
    assert_eq!(
        ws.recv().await.unwrap().unwrap(),
        Message::text("through hyper and TLS")
    );
    ws.close(wswire::CloseCode::NORMAL, "").await.unwrap();
}
