//! What each subcommand does.

use std::net::SocketAddr;
use std::path::Path;

use modelgate_core::config::{Config, ProcessEnv};
use modelgate_core::grpc::{self, Core};
use modelgate_facade::core_client::CoreClient;
use modelgate_facade::server;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::cli::{Cli, Command};

type Error = Box<dyn std::error::Error + Send + Sync>;

pub async fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Serve {
            config,
            http,
            grpc,
            unauth,
        } => {
            let config = load(config.config.as_deref())?;
            let http = http.unwrap_or(config.server.http);
            let grpc = grpc.unwrap_or(config.server.grpc);
            guard_open_access(&config, &[http, grpc], unauth.allow_unauthenticated)?;
            let core = Core::new(&config).await?;
            let (http_listener, grpc_listener) =
                (bind(http, "http").await?, bind(grpc, "grpc").await?);
            let shutdown = Shutdown::on_signals();
            let app = server::app(
                CoreClient::in_process(core.routes.clone()),
                config.server.body_limit_bytes,
            );
            let grpc_task = tokio::spawn(grpc::serve(grpc_listener, core.routes, shutdown.wait()));
            server::serve(http_listener, app, shutdown.wait()).await?;
            grpc_task.await??;
        }
        Command::Core {
            config,
            grpc,
            unauth,
        } => {
            let config = load(config.config.as_deref())?;
            let grpc = grpc.unwrap_or(config.server.grpc);
            guard_open_access(&config, &[grpc], unauth.allow_unauthenticated)?;
            let core = Core::new(&config).await?;
            let listener = bind(grpc, "grpc").await?;
            grpc::serve(listener, core.routes, Shutdown::on_signals().wait()).await?;
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
            let core = CoreClient::connect(&core_url)
                .map_err(|e| format!("--core-url {core_url}: {e}"))?;
            let listener = bind(http, "http").await?;
            let app = server::app(core, config.server.body_limit_bytes);
            server::serve(listener, app, Shutdown::on_signals().wait()).await?;
        }
        Command::CheckConfig { file } => {
            let config = Config::load_file(&file, &ProcessEnv)?;
            print_summary(&config);
        }
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

/// No client keys is fine on loopback (with a warning), refused elsewhere
/// unless asked for explicitly.
fn guard_open_access(config: &Config, binds: &[SocketAddr], allowed: bool) -> Result<(), Error> {
    if !config.auth.keys.is_empty() {
        return Ok(());
    }
    let exposed: Vec<String> = binds
        .iter()
        .filter(|a| !a.ip().is_loopback())
        .map(ToString::to_string)
        .collect();
    if exposed.is_empty() || allowed {
        tracing::warn!(
            "NO CLIENT KEYS CONFIGURED: anyone who can reach {binds:?} can use every model. \
             Set MODELGATE_API_KEYS or `auth.keys` in the config."
        );
        return Ok(());
    }
    Err(format!(
        "no client keys are configured and {} is not a loopback address: anyone could spend your provider \
         credits. Set MODELGATE_API_KEYS (comma-separated) or `auth.keys` in the config, bind to 127.0.0.1, \
         or pass --allow-unauthenticated if this is really wanted",
        exposed.join(", ")
    )
    .into())
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

fn print_summary(config: &Config) {
    println!("config: {} is valid", config.source);
    println!(
        "server: http {} grpc {}",
        config.server.http, config.server.grpc
    );
    println!(
        "client keys: {}",
        config
            .auth
            .keys
            .iter()
            .map(|k| k.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("providers:");
    for (name, p) in &config.providers {
        println!("  {name}: {:?} at {}", p.kind, p.api_base);
    }
    println!("models:");
    for d in &config.model_list {
        println!(
            "  {} -> {}/{}",
            d.model_name, d.provider.name, d.upstream_model
        );
    }
    for notice in &config.notices {
        println!("warning: {notice}");
    }
}

/// Fires once on SIGINT or SIGTERM; every server waits on it.
struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    fn on_signals() -> Self {
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            signal().await;
            tracing::info!("shutting down");
            let _ = tx.send(true);
        });
        Self(rx)
    }

    fn wait(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.0.clone();
        async move {
            let _ = rx.wait_for(|fired| *fired).await;
        }
    }
}

async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
