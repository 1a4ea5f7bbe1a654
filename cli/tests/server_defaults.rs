//! The `server` defaults the README documents, as `check-config` reports them for a file that
//! leaves them out: connections 30 / 60 / 200 / 10000 and a 30 s shutdown grace; each key,
//! when written, replaces its default.

use crate::check_config_cli;

use check_config_cli::check_config;

const PROVIDERS: &str =
    "providers:\n  local: { kind: openai, api_base: \"http://127.0.0.1:9/v1\", models: [m] }\n";

fn summary(server: &str) -> String {
    let out = check_config(&format!("{server}{PROVIDERS}"), &[]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    out.stdout
}

fn line<'a>(stdout: &'a str, prefix: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.trim_start().starts_with(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` line:\n{stdout}"))
        .trim()
}

#[test]
fn connection_and_shutdown_defaults_are_the_documented_ones() {
    let defaults = summary("");
    assert_eq!(
        line(&defaults, "connections:"),
        "connections: header timeout 30 s, body timeout 120 s, idle timeout 60 s, 200 streams each, at most 10000 per port"
    );
    assert_eq!(line(&defaults, "shutdown grace:"), "shutdown grace: 30 s");

    // (key written, the line it changes): the defaults above are defaults, not fixed values.
    let rows = [
        (
            "header_timeout_seconds: 7",
            "connections: header timeout 7 s, body timeout 120 s, idle timeout 60 s, 200 streams each, at most 10000 per port",
        ),
        (
            "body_timeout_seconds: 8",
            "connections: header timeout 30 s, body timeout 8 s, idle timeout 60 s, 200 streams each, at most 10000 per port",
        ),
        (
            "idle_timeout_seconds: 9",
            "connections: header timeout 30 s, body timeout 120 s, idle timeout 9 s, 200 streams each, at most 10000 per port",
        ),
        (
            "max_concurrent_streams: 11",
            "connections: header timeout 30 s, body timeout 120 s, idle timeout 60 s, 11 streams each, at most 10000 per port",
        ),
        (
            "max_connections: 13",
            "connections: header timeout 30 s, body timeout 120 s, idle timeout 60 s, 200 streams each, at most 13 per port",
        ),
        ("shutdown_grace_seconds: 0", "shutdown grace: 0 s"),
    ];
    for (key, want) in rows {
        let out = summary(&format!("server:\n  {key}\n"));
        let prefix = want.split(' ').next().unwrap_or_default();
        assert_eq!(line(&out, prefix), want, "{key}");
    }
}
