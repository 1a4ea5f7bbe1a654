//! Running the servers on bound listeners, in plain text or TLS per `server.tls`, until the
//! lifecycle says stop (and not much longer).

use axum::Router;
use modelgate_core::config::TlsFiles;
use tokio::net::TcpListener;
use tonic::service::Routes;

use crate::lifecycle::Stop;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The HTTP facade, until `stop` (plus the close wait).
pub async fn http(
    listener: TcpListener,
    app: Router,
    tls: Option<&TlsFiles>,
    stop: &Stop,
) -> Result<(), Error> {
    let serving = async {
        match tls {
            Some(files) => {
                let config = modelgate_facade::tls::server_config(&files.cert, &files.key)?;
                modelgate_facade::tls::serve(listener, app, config, stop.wait()).await?;
            }
            None => modelgate_facade::server::serve(listener, app, stop.wait()).await?,
        }
        Ok::<(), Error>(())
    };
    tokio::select! {
        result = serving => result,
        () = stop.overdue() => {
            tracing::warn!("http: connections still open after shutdown; exiting anyway");
            Ok(())
        }
    }
}

/// The core's gRPC server, until `stop` (plus the close wait).
pub async fn grpc(
    listener: TcpListener,
    routes: Routes,
    tls: Option<TlsFiles>,
    stop: Stop,
) -> Result<(), Error> {
    let serving = async {
        match tls {
            Some(files) => {
                let identity = modelgate_core::tls::identity(&files)?;
                modelgate_core::tls::serve(listener, routes, identity, stop.wait()).await?;
            }
            None => modelgate_core::grpc::serve(listener, routes, stop.wait()).await?,
        }
        Ok::<(), Error>(())
    };
    tokio::select! {
        result = serving => result,
        () = stop.overdue() => {
            tracing::warn!("grpc: connections still open after shutdown; exiting anyway");
            Ok(())
        }
    }
}
