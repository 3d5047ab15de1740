//! A TLS tunnel for running plain-TCP test tools against wss endpoints (the conformance suite
//! over wss, `conformance/run.sh`): every connection accepted is copied both ways, byte for
//! byte, with TLS on one side; an end of stream on one side shuts the other side's writing.
//!
//! ```text
//! # plain in, TLS out: a plain client reaches a wss server (trusting the PEM certificate)
//! cargo run -p wswire-async --features rustls --example tls_tunnel -- --to-tls localhost:9443 --ca cert.pem 127.0.0.1:0
//! # TLS in, plain out: a wss client reaches a plain server
//! cargo run -p wswire-async --features rustls --example tls_tunnel -- --from-tls cert.pem key.pem --to 127.0.0.1:9001 127.0.0.1:0
//! ```
//!
//! The last argument is the listen address; the tunnel prints `listening on ADDRESS`.

use std::io;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use wswire_async::rustls::pki_types::pem::PemObject;
use wswire_async::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use wswire_async::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use wswire_async::tokio_rustls::{TlsAcceptor, TlsConnector};

/// Which side speaks TLS.
#[derive(Clone)]
enum Mode {
    /// Accept plain TCP, connect with TLS to `target`, checking the certificate for `name`.
    ToTls {
        target: String,
        name: ServerName<'static>,
        connector: TlsConnector,
    },
    /// Accept TLS, connect with plain TCP to `target`.
    FromTls {
        target: String,
        acceptor: TlsAcceptor,
    },
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn bad(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e.to_string())
}

fn parse_args() -> io::Result<(Mode, String)> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || {
        bad(
            "usage: tls_tunnel (--to-tls HOST:PORT --ca PEM | --from-tls CERT KEY --to HOST:PORT) LISTEN",
        )
    };
    let listen = args.last().cloned().ok_or_else(usage)?;
    let value = |flag: &str, n: usize| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + n).cloned())
            .ok_or_else(usage)
    };
    let mode = if args.iter().any(|a| a == "--to-tls") {
        let target = value("--to-tls", 1)?;
        let host = target.rsplit_once(':').map_or(target.as_str(), |(h, _)| h);
        let name = ServerName::try_from(host.to_owned()).map_err(bad)?;
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(value("--ca", 1)?).map_err(bad)? {
            roots.add(cert.map_err(bad)?).map_err(bad)?;
        }
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(bad)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Mode::ToTls {
            target,
            name,
            connector: TlsConnector::from(Arc::new(config)),
        }
    } else {
        let certs = CertificateDer::pem_file_iter(value("--from-tls", 1)?)
            .and_then(Iterator::collect)
            .map_err(bad)?;
        let key = PrivateKeyDer::from_pem_file(value("--from-tls", 2)?).map_err(bad)?;
        let config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(bad)?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(bad)?;
        Mode::FromTls {
            target: value("--to", 1)?,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        }
    };
    Ok((mode, listen))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> io::Result<()> {
    let (mode, listen) = parse_args()?;
    let listener = TcpListener::bind(&listen).await?;
    println!("tls_tunnel listening on {}", listener.local_addr()?);
    loop {
        let (tcp, _) = listener.accept().await?;
        let mode = mode.clone();
        tokio::spawn(async move {
            if let Err(e) = tunnel(tcp, mode).await {
                eprintln!("tls_tunnel: {e}");
            }
        });
    }
}

/// Copies one connection both ways until both directions ended.
async fn tunnel(inbound: TcpStream, mode: Mode) -> io::Result<()> {
    inbound.set_nodelay(true)?;
    match mode {
        Mode::ToTls {
            target,
            name,
            connector,
        } => {
            let tcp = TcpStream::connect(&target).await?;
            tcp.set_nodelay(true)?;
            let mut tls = connector.connect(name, tcp).await?;
            let mut inbound = inbound;
            tokio::io::copy_bidirectional(&mut inbound, &mut tls).await?;
        }
        Mode::FromTls { target, acceptor } => {
            let mut tls = acceptor.accept(inbound).await?;
            let mut outbound = TcpStream::connect(&target).await?;
            outbound.set_nodelay(true)?;
            tokio::io::copy_bidirectional(&mut tls, &mut outbound).await?;
        }
    }
    Ok(())
}
