//! Running the real `modelgate` binary as a user does: `serve`, or `core` + `facade` as two
//! processes, with a config file, its own environment, and the log it writes.
//!
//! Declared once by each test target's root (`cli/tests/main.rs`; the `e2e`, `load` and
//! `conformance` targets by path); not every file uses every helper.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError, mpsc};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The binary cargo built for this test run.
pub const BIN: &str = env!("CARGO_BIN_EXE_modelgate");
/// Longest wait for anything a test waits for.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// `serve` on kernel-chosen loopback ports for HTTP and gRPC, from `config`.
pub fn serve_args(config: &str) -> Vec<String> {
    strings(&[
        "serve",
        "--http",
        "127.0.0.1:0",
        "--grpc",
        "127.0.0.1:0",
        "--config",
        config,
    ])
}

/// Which processes run the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `modelgate serve`: one process.
    Serve,
    /// `modelgate core` and `modelgate facade --core-url …`: two processes.
    Split,
}

/// One running `modelgate` process, killed on drop.
pub struct Process {
    pub child: Child,
    /// Addresses from its `modelgate: WHAT listening on ADDR` lines, by WHAT.
    pub listening: HashMap<String, String>,
    stderr: tempfile::NamedTempFile,
    /// Released after `Drop` has killed the child.
    _share: Share,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What to start a process with.
#[derive(Default, Clone)]
pub struct Launch {
    /// Arguments after the binary name (the subcommand first).
    pub args: Vec<String>,
    /// Extra environment; the process starts with a clean one plus `PATH`.
    pub env: Vec<(String, String)>,
    /// `listening` lines to wait for (`http`, `grpc`, `metrics`).
    pub wait_for: Vec<&'static str>,
}

impl Process {
    /// Starts the binary and waits until every listener in `launch.wait_for` is bound.
    pub fn start(launch: Launch) -> Self {
        Self::try_start(launch).unwrap_or_else(|(log, why)| panic!("{why}; log:\n{log}"))
    }

    /// Like [`Process::start`], but a process that exits before it listens is an `Err` with
    /// its log (for tests of refusals to start).
    pub fn try_start(launch: Launch) -> Result<Self, (String, String)> {
        let share = share();
        let stderr = tempfile::NamedTempFile::new().expect("log file");
        let mut command = Command::new(BIN);
        command
            .args(&launch.args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr.reopen().expect("log file"));
        for (k, v) in &launch.env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("modelgate starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut listening = HashMap::new();
        let deadline = Instant::now() + DEADLINE;
        while launch.wait_for.iter().any(|w| !listening.contains_key(*w)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("modelgate: ")
                        && let Some((what, addr)) = rest.split_once(" listening on ")
                    {
                        listening.insert(what.to_owned(), addr.trim().to_owned());
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err((
                        read(stderr.path()),
                        format!("no listening line for {:?}", launch.wait_for),
                    ));
                }
            }
        }
        Ok(Self {
            child,
            listening,
            stderr,
            _share: share,
        })
    }

    /// The address a listener was bound to (`127.0.0.1:PORT`).
    pub fn addr(&self, what: &str) -> &str {
        self.listening
            .get(what)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {what} listener"))
    }

    /// Sends `signal` to the process.
    pub fn signal(&self, signal: Signal) {
        let pid = i32::try_from(self.child.id()).expect("pid fits");
        kill(Pid::from_raw(pid), signal).expect("signal delivered");
    }

    /// Everything the process wrote to stderr so far.
    pub fn log(&self) -> String {
        read(self.stderr.path())
    }

    /// The process's resident set size in KiB, from `/proc`.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// Waits for the process to exit, with a deadline.
    pub fn exit_status(&mut self) -> ExitStatus {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "still running; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A gateway as users run it: one process (`serve`) or two (`core` + `facade`), on loopback
/// ports chosen by the kernel, from a config file.
pub struct Gateway {
    pub mode: Mode,
    /// `serve`, or `core` in split mode.
    pub core: Process,
    /// `facade` in split mode.
    pub facade: Option<Process>,
    /// `http://127.0.0.1:PORT` of the HTTP surface.
    pub http: String,
    /// `http://127.0.0.1:PORT` of the gRPC surface.
    pub grpc: String,
    pub config: PathBuf,
}

impl Gateway {
    /// Starts `mode` from `config` with `env` added to a clean environment, and waits until
    /// `/health/ready` answers 200.
    pub async fn start(mode: Mode, config: &Path, env: &[(&str, &str)]) -> Self {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let config_arg = config.to_string_lossy().into_owned();
        let gw = match mode {
            Mode::Serve => {
                let core = Process::start(Launch {
                    args: serve_args(&config_arg),
                    env,
                    wait_for: vec!["http", "grpc"],
                });
                let (http, grpc) = (core.addr("http").to_owned(), core.addr("grpc").to_owned());
                Self {
                    mode,
                    core,
                    facade: None,
                    http: format!("http://{http}"),
                    grpc: format!("http://{grpc}"),
                    config: config.to_owned(),
                }
            }
            Mode::Split => {
                let core = Process::start(Launch {
                    args: strings(&["core", "--grpc", "127.0.0.1:0", "--config", &config_arg]),
                    env: env.clone(),
                    wait_for: vec!["grpc"],
                });
                let grpc = core.addr("grpc").to_owned();
                let facade = Process::start(Launch {
                    args: strings(&[
                        "facade",
                        "--core-url",
                        &format!("http://{grpc}"),
                        "--http",
                        "127.0.0.1:0",
                        "--config",
                        &config_arg,
                    ]),
                    env,
                    wait_for: vec!["http"],
                });
                let http = facade.addr("http").to_owned();
                Self {
                    mode,
                    core,
                    facade: Some(facade),
                    http: format!("http://{http}"),
                    grpc: format!("http://{grpc}"),
                    config: config.to_owned(),
                }
            }
        };
        let client = reqwest::Client::new();
        let ready = gw.url("/health/ready");
        eventually("ready", || {
            let client = client.clone();
            let ready = ready.clone();
            async move {
                client
                    .get(ready)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            }
        })
        .await;
        gw
    }

    /// A URL on the HTTP surface.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.http)
    }

    /// The HTTP port's `host:port`.
    pub fn http_addr(&self) -> &str {
        self.http.trim_start_matches("http://")
    }

    /// The gRPC port's `host:port`.
    pub fn grpc_addr(&self) -> &str {
        self.grpc.trim_start_matches("http://")
    }

    /// Both processes' logs (the core's first).
    pub fn log(&self) -> String {
        let mut log = self.core.log();
        if let Some(facade) = &self.facade {
            log.push_str(&facade.log());
        }
        log
    }

    /// The process that reads HTTP bodies (the facade in split mode).
    pub fn http_process(&self) -> &Process {
        self.facade.as_ref().unwrap_or(&self.core)
    }
}

/// The mock upstream, replaying the recorded provider fixtures on a loopback port.
pub async fn mock() -> mock_upstream::MockUpstream {
    mock_upstream::MockUpstream::start(mock_upstream::default_fixtures_dir())
        .await
        .expect("mock starts")
}

/// Writes `text` as `modelgate.yaml` in a new temporary directory.
pub fn config_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("modelgate.yaml");
    std::fs::write(&file, text).expect("write config");
    (dir, file)
}

/// Polls `check` every 20 ms until it holds, failing after [`DEADLINE`].
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < DEADLINE,
            "{what}: not within {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// `args` as owned strings, for [`Launch::args`].
pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

/// Turns at the machine. The binary's tests share one process and run side by side; a test
/// that saturates every core (the memory soak) would starve the timing of the others, so it
/// runs [`alone`]: it waits until no other test has a gateway process running and keeps new
/// ones from starting until its guard drops. Every [`Process`] holds a share while it runs.
/// Shares never wait for a test that is only waiting for its turn (a test holding one share
/// may take another), so nothing deadlocks; the lone test may wait until the others pause.
struct Turns {
    /// Processes running for tests other than the lone one.
    shares: usize,
    /// The thread of the test running alone.
    alone: Option<ThreadId>,
}

static TURNS: Mutex<Turns> = Mutex::new(Turns {
    shares: 0,
    alone: None,
});
static TURN_CHANGED: Condvar = Condvar::new();

fn turns() -> MutexGuard<'static, Turns> {
    // A test that panicked while holding the lock left the counts consistent (no code between
    // taking and releasing it can panic).
    TURNS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// While this lives, no other test's gateway process runs. Hold it in the test's own body:
/// the processes that test starts from that thread are exempt.
#[must_use]
pub struct Alone(());

/// Waits for every other test's gateway processes to end, then keeps new ones from starting
/// until the returned guard drops.
pub fn alone() -> Alone {
    let mut turns = turns();
    while turns.alone.is_some() || turns.shares > 0 {
        turns = TURN_CHANGED
            .wait(turns)
            .unwrap_or_else(PoisonError::into_inner);
    }
    turns.alone = Some(std::thread::current().id());
    Alone(())
}

impl Drop for Alone {
    fn drop(&mut self) {
        turns().alone = None;
        TURN_CHANGED.notify_all();
    }
}

/// A running process's share of the machine (none for the lone test's own processes).
struct Share(bool);

fn share() -> Share {
    let me = std::thread::current().id();
    let mut turns = turns();
    if turns.alone == Some(me) {
        return Share(false);
    }
    while turns.alone.is_some() {
        turns = TURN_CHANGED
            .wait(turns)
            .unwrap_or_else(PoisonError::into_inner);
    }
    turns.shares += 1;
    Share(true)
}

impl Drop for Share {
    fn drop(&mut self) {
        if self.0 {
            turns().shares -= 1;
            TURN_CHANGED.notify_all();
        }
    }
}
