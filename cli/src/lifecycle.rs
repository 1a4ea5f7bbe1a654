//! Process signals: SIGTERM/SIGINT drain the servers and then stop them; SIGHUP reloads the
//! core's configuration from where it was first read.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use modelgate::drain::{self, Drain};
use modelgate_core::config::{ProcessEnv, ServerConfig};
use modelgate_core::grpc::Core;
use tokio::sync::watch;

use crate::open_access::OpenAccess;

/// How long the servers get to close their connections once drained; past it the process
/// exits anyway rather than hang on a connection that never closes.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Fires once the servers have drained; every server waits on it.
#[derive(Clone)]
pub struct Stop(watch::Receiver<bool>);

impl Stop {
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.0.clone();
        async move {
            let _ = rx.wait_for(|fired| *fired).await;
        }
    }

    /// Resolves `CLOSE_WAIT` after the servers were told to stop.
    pub fn overdue(&self) -> impl Future<Output = ()> + Send + 'static {
        let stopped = self.wait();
        async move {
            stopped.await;
            tokio::time::sleep(CLOSE_WAIT).await;
        }
    }
}

/// What the signal handler manages.
pub struct Managed {
    /// The core, when this process runs one (reloaded on SIGHUP, NOT_SERVING on shutdown).
    pub core: Option<Core>,
    /// The start-up exposure check (addresses and flag), applied to every reload too.
    pub open_access: Option<OpenAccess>,
    /// The config file the core was started from; `None`: the environment.
    pub config_file: Option<PathBuf>,
    /// Servers to drain, outermost first (the HTTP facade before the core).
    pub drains: Vec<Drain>,
    /// The `server` section the process started with (a reload cannot change it).
    pub server: ServerConfig,
}

/// Handles signals until shutdown, then drains and fires the returned [`Stop`].
pub fn on_signals(managed: Managed) -> Stop {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        let mut hangups = hangups();
        let terminate = terminate();
        tokio::pin!(terminate);
        loop {
            tokio::select! {
                () = &mut terminate => break,
                Some(()) = next(&mut hangups) => reload(&managed),
            }
        }
        shut_down(&managed).await;
        let _ = tx.send(true);
    });
    Stop(rx)
}

/// Drains `managed`'s servers: readiness off, new requests refused, in-flight ones given the
/// grace period.
pub async fn shut_down(managed: &Managed) {
    let in_flight: usize = managed.drains.iter().map(Drain::in_flight).sum();
    tracing::info!(
        in_flight,
        grace_seconds = managed.server.shutdown_grace.as_secs(),
        "shutting down: refusing new requests, letting running ones finish"
    );
    if let Some(core) = &managed.core {
        core.stop_serving().await;
    }
    let cut = drain::settle(&managed.drains, managed.server.shutdown_grace).await;
    if cut > 0 {
        tracing::warn!(cut, "grace period over: ended the requests still running");
    } else {
        tracing::info!("drained: every request finished");
    }
}

fn reload(managed: &Managed) {
    let Some(core) = &managed.core else {
        tracing::info!("SIGHUP: the facade has nothing to reload (reload the core instead)");
        return;
    };
    let source = managed
        .config_file
        .as_ref()
        .map_or_else(|| "environment".to_owned(), |p| p.display().to_string());
    let check = |config: &modelgate_core::config::Config| match &managed.open_access {
        Some(open_access) => open_access.check(config),
        None => Ok(()),
    };
    match core.reload_checked(managed.config_file.as_deref(), &ProcessEnv, check) {
        Ok(config) => {
            for notice in &config.notices {
                tracing::warn!(source = %config.source, "{notice}");
            }
            if config.server != managed.server {
                tracing::warn!(
                    "config reload: `server` settings (addresses, TLS, limits, grace) take effect only on restart"
                );
            }
            tracing::info!(
                %source,
                providers = config.providers.len(),
                aliases = config.model_list.len(),
                keys = config.auth.keys.len(),
                "config reloaded; running requests keep the previous config"
            );
        }
        Err(err) => {
            tracing::error!(%source, "config reload rejected, keeping the running config: {err}")
        }
    }
}

async fn terminate() {
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

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = ();

fn hangups() -> Hangups {
    #[cfg(unix)]
    {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
    }
}

async fn next(hangups: &mut Hangups) -> Option<()> {
    #[cfg(unix)]
    if let Some(signal) = hangups {
        return signal.recv().await;
    }
    let _ = hangups;
    std::future::pending().await
}
