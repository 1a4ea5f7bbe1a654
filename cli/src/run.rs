//! What each subcommand does.

use std::net::SocketAddr;
use std::path::Path;

use modelgate::drain::Drain;
use modelgate_core::config::{Config, ProcessEnv};
use modelgate_core::grpc::Core;
use modelgate_facade::core_client::CoreClient;
use modelgate_facade::drain::with_drain;
use modelgate_facade::server;
use tokio::net::TcpListener;

use crate::cli::{Cli, Command};
use crate::lifecycle::{self, Managed};
use crate::listen;
use crate::open_access::OpenAccess;

type Error = Box<dyn std::error::Error + Send + Sync>;

pub async fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Serve {
            config,
            http,
            grpc,
            unauth,
        } => {
            let file = config.config;
            let config = load(file.as_deref())?;
            let http = http.unwrap_or(config.server.http);
            let grpc = grpc.unwrap_or(config.server.grpc);
            let open_access = OpenAccess {
                binds: vec![http, grpc],
                allowed: unauth.allow_unauthenticated,
            };
            open_access.check(&config)?;
            let core = Core::new(&config).await?;
            let (http_listener, grpc_listener) =
                (bind(http, "http").await?, bind(grpc, "grpc").await?);
            let facade_drain = Drain::new();
            let stop = lifecycle::on_signals(Managed {
                core: Some(core.clone()),
                open_access: Some(open_access),
                config_file: file,
                drains: vec![facade_drain.clone(), core.drain.clone()],
                server: config.server.clone(),
            });
            let app = server::app(
                CoreClient::in_process(core.routes.clone(), core.local()),
                config.server.body_limit_bytes,
                &config.cors.allow_origins,
            );
            log_cors(&config);
            let app = with_drain(app, facade_drain);
            let grpc_task = tokio::spawn(listen::grpc(
                grpc_listener,
                core.routes,
                config.server.clone(),
                stop.clone(),
            ));
            listen::http(http_listener, app, &config.server, &stop).await?;
            grpc_task.await??;
        }
        Command::Core {
            config,
            grpc,
            metrics,
            unauth,
        } => {
            let file = config.config;
            let config = load(file.as_deref())?;
            let grpc = grpc.unwrap_or(config.server.grpc);
            let open_access = OpenAccess {
                binds: vec![grpc],
                allowed: unauth.allow_unauthenticated,
            };
            open_access.check(&config)?;
            let core = Core::new(&config).await?;
            let listener = bind(grpc, "grpc").await?;
            if let Some(addr) = metrics {
                let metrics = bind(addr, "metrics").await?;
                // Lives as long as the process, so scrapes answer while draining.
                tokio::spawn(modelgate_telemetry::prometheus::serve(
                    metrics,
                    std::future::pending(),
                ));
            }
            let stop = lifecycle::on_signals(Managed {
                core: Some(core.clone()),
                open_access: Some(open_access),
                config_file: file,
                drains: vec![core.drain.clone()],
                server: config.server.clone(),
            });
            listen::grpc(listener, core.routes, config.server.clone(), stop).await?;
        }
        Command::Facade {
            core_url,
            http,
            config,
        } => {
            let config = match config {
                Some(path) => load(Some(&path))?,
                None => Config::from_env(&ProcessEnv)?,
            };
            let http = http.unwrap_or(config.server.http);
            let streams = config.server.connections.max_concurrent_streams;
            let core = CoreClient::connect_pooled(&core_url, streams.try_into().unwrap_or(1))
                .map_err(|e| format!("--core-url {core_url}: {e}"))?;
            let listener = bind(http, "http").await?;
            let app = server::app(
                core,
                config.server.body_limit_bytes,
                &config.cors.allow_origins,
            );
            log_cors(&config);
            let drain = Drain::new();
            let stop = lifecycle::on_signals(Managed {
                core: None,
                open_access: None,
                config_file: None,
                drains: vec![drain.clone()],
                server: config.server.clone(),
            });
            let app = with_drain(app, drain);
            listen::http(listener, app, &config.server, &stop).await?;
        }
        Command::CheckConfig { file } => {
            let config = Config::load_file(&file, &ProcessEnv)?;
            print!("{}", crate::check_config::summary(&config));
        }
        Command::Healthcheck { url } => crate::healthcheck::check(&url).await?,
    }
    Ok(())
}

fn load(path: Option<&Path>) -> Result<Config, Error> {
    let config = match path {
        Some(path) => Config::load_file(path, &ProcessEnv)?,
        None => Config::from_env(&ProcessEnv)?,
    };
    for notice in &config.notices {
        tracing::warn!(source = %config.source, "{notice}");
    }
    tracing::info!(
        source = %config.source,
        providers = config.providers.len(),
        aliases = config.model_list.len(),
        keys = config.auth.keys.len(),
        "config loaded"
    );
    Ok(config)
}

fn log_cors(config: &Config) {
    let cors = modelgate_facade::cors::describe(&config.cors.allow_origins);
    tracing::info!(source = %config.source, "CORS {cors}");
}

async fn bind(addr: SocketAddr, what: &str) -> Result<TcpListener, Error> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} ({what}): {e}"))?;
    let local = listener.local_addr()?;
    // Scripts and tests wait for this line (it holds the real port for :0).
    println!("modelgate: {what} listening on {local}");
    tracing::info!(%local, "{what} listening");
    Ok(listener)
}
