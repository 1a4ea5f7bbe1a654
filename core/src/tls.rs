//! Serving the core's gRPC over TLS (rustls with ring), from the same PEM files as the HTTP
//! side, offering only h2.

use std::future::Future;
use std::sync::Arc;

use modelgate::connections::ConnectionLimits;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tonic::service::Routes;

use crate::config::TlsFiles;

/// Why gRPC could not be served over TLS.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("server.tls.{key}: cannot read {path}: {source}")]
    Read {
        key: &'static str,
        path: String,
        source: rustls::pki_types::pem::Error,
    },
    #[error("server.tls: the certificate and key do not make a usable TLS identity: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("grpc: {0}")]
    Serve(#[from] std::io::Error),
}

/// The server's TLS identity, ready to serve gRPC with.
#[derive(Clone)]
pub struct Identity(Arc<rustls::ServerConfig>);

/// The server identity in `files`.
pub fn identity(files: &TlsFiles) -> Result<Identity, TlsError> {
    let read_error = |key, path: &std::path::Path| {
        let path = path.display().to_string();
        move |source| TlsError::Read { key, path, source }
    };
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(read_error("cert", &files.cert))?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(read_error("key", &files.key))?;
    // The provider is named explicitly: no process-wide default is installed.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Identity(Arc::new(config)))
}

/// Serves `routes` over TLS on `listener` until `shutdown` resolves, with the default
/// connection limits.
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    identity: Identity,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), TlsError> {
    serve_with(
        listener,
        routes,
        identity,
        ConnectionLimits::default(),
        shutdown,
    )
    .await
}

/// Serves `routes` over TLS on `listener` with `limits` until `shutdown` resolves.
pub async fn serve_with(
    listener: TcpListener,
    routes: Routes,
    identity: Identity,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), TlsError> {
    crate::grpc::serve_with(listener, routes, limits, Some(identity.0), shutdown).await?;
    Ok(())
}
