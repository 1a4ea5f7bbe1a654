//! Serving the core's gRPC over TLS (tonic with rustls and ring), from the same PEM files as
//! the HTTP side.

use std::future::Future;

use tokio::net::TcpListener;
use tonic::service::Routes;
use tonic::transport::{Identity, ServerTlsConfig};

use crate::config::TlsFiles;

/// Why gRPC could not be served over TLS.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("server.tls.{key}: cannot read {path}: {source}")]
    Read {
        key: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("server.tls: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// The server identity in `files`.
pub fn identity(files: &TlsFiles) -> Result<Identity, TlsError> {
    let read = |key, path: &std::path::Path| {
        std::fs::read(path).map_err(|source| TlsError::Read {
            key,
            path: path.display().to_string(),
            source,
        })
    };
    Ok(Identity::from_pem(
        read("cert", &files.cert)?,
        read("key", &files.key)?,
    ))
}

/// Serves `routes` over TLS on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    identity: Identity,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), TlsError> {
    tonic::transport::Server::builder()
        .tls_config(ServerTlsConfig::new().identity(identity))?
        .initial_connection_window_size(modelgate::GRPC_CONNECTION_WINDOW)
        .add_routes(routes)
        .serve_with_incoming_shutdown(crate::grpc::incoming(listener), shutdown)
        .await?;
    Ok(())
}
