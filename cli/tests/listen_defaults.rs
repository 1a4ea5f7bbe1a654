//! With no `server` section and no `--http`/`--grpc` flags, HTTP listens on 0.0.0.0:8001 and
//! gRPC on 0.0.0.0:50051. Read from `check-config`'s server settings and from the refusal to
//! start keyless on those (non-loopback) addresses, which names them before anything is bound,
//! so the test never takes the real ports.

use crate::check_config_cli;
use crate::support;

use check_config_cli::{check_config, run_to_exit};
use support::config_file;

const HTTP_DEFAULT: &str = "0.0.0.0:8001";
const GRPC_DEFAULT: &str = "0.0.0.0:50051";

#[test]
fn check_config_prints_the_default_addresses_without_a_server_section() {
    let out = check_config(
        "providers:\n  local: { kind: openai, api_base: http://127.0.0.1:9/v1, models: [m] }\n",
        &[],
    );
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let lines: Vec<&str> = out.stdout.lines().map(str::trim).collect();
    assert!(
        lines.contains(&format!("http: {HTTP_DEFAULT}").as_str()),
        "{}",
        out.stdout
    );
    assert!(
        lines.contains(&format!("grpc: {GRPC_DEFAULT}").as_str()),
        "{}",
        out.stdout
    );
}

/// `serve` and `core` without flags bind the defaults: without client keys they refuse to
/// start there, naming the addresses they would have used.
#[test]
fn serve_and_core_without_flags_use_the_default_addresses() {
    let (_dir, file) = config_file(
        "providers:\n  local: { kind: openai, api_base: http://127.0.0.1:9/v1, models: [m] }\n",
    );
    let file = file.to_string_lossy().into_owned();
    let runs: [(&[&str], String); 4] = [
        // From a file with no `server` section, and from the environment alone.
        (
            &["serve", "--config", &file],
            format!("{HTTP_DEFAULT}, {GRPC_DEFAULT} is not a loopback address"),
        ),
        (
            &["serve"],
            format!("{HTTP_DEFAULT}, {GRPC_DEFAULT} is not a loopback address"),
        ),
        (
            &["core", "--config", &file],
            format!("and {GRPC_DEFAULT} is not a loopback address"),
        ),
        (
            &["core"],
            format!("and {GRPC_DEFAULT} is not a loopback address"),
        ),
    ];
    for (args, expected) in runs {
        let out = run_to_exit(args, &[]);
        assert_eq!(out.code, Some(1), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(&expected), "{args:?}: {}", out.stderr);
        assert!(
            !out.stdout.contains("listening on"),
            "{args:?} bound a port: {}",
            out.stdout
        );
    }
}
