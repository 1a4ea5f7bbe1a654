//! Running `modelgate check-config FILE` (or any subcommand that exits on its own) as a user
//! does, with a clean environment, and reading what it printed.
#![allow(dead_code)]

use std::process::{Command, Stdio};
use std::time::Instant;

use crate::support::{BIN, DEADLINE, config_file, read};

/// What a finished run of the binary left: its exit code and both streams.
pub struct Finished {
    /// `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary with `args` and `env` (on top of a clean environment plus `PATH`) until it
/// exits on its own, failing if it still runs at the deadline.
pub fn run_to_exit(args: &[&str], env: &[(&str, &str)]) -> Finished {
    let out = tempfile::NamedTempFile::new().expect("stdout file");
    let err = tempfile::NamedTempFile::new().expect("stderr file");
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(out.reopen().expect("stdout file"))
        .stderr(err.reopen().expect("stderr file"));
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("modelgate starts");
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "modelgate {args:?} still running after {DEADLINE:?}; stderr:\n{}",
                read(err.path())
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Finished {
        code: status.code(),
        stdout: read(out.path()),
        stderr: read(err.path()),
    }
}

/// `modelgate check-config` on `yaml` written to a file.
pub fn check_config(yaml: &str, env: &[(&str, &str)]) -> Finished {
    let (_dir, file) = config_file(yaml);
    run_to_exit(&["check-config", &file.to_string_lossy()], env)
}
