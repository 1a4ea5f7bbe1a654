//! Running the servers on bound listeners, in plain text or TLS per `server.tls`, until the
//! lifecycle says stop (and not much longer).

use axum::Router;
use modelgate_core::config::ServerConfig;
use tokio::net::TcpListener;
use tonic::service::Routes;

use crate::lifecycle::Stop;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The HTTP facade, until `stop` (plus the close wait).
pub async fn http(
    listener: TcpListener,
    app: Router,
    server: &ServerConfig,
    stop: &Stop,
) -> Result<(), Error> {
    let serving = async {
        let tls = match &server.tls {
            Some(files) => Some(modelgate_facade::tls::server_config(
                &files.cert,
                &files.key,
            )?),
            None => None,
        };
        modelgate_facade::server::serve_limited(
            listener,
            app,
            tls,
            server.connections,
            server.body_timeout,
            stop.wait(),
        )
        .await?;
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
    server: ServerConfig,
    stop: Stop,
) -> Result<(), Error> {
    let serving = async {
        let limits = server.connections;
        match &server.tls {
            Some(files) => {
                let identity = modelgate_core::tls::identity(files)?;
                modelgate_core::tls::serve_with(listener, routes, identity, limits, stop.wait())
                    .await?;
            }
            None => {
                modelgate_core::grpc::serve_with(listener, routes, limits, None, stop.wait())
                    .await?
            }
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
