//! Without client keys the binary starts only on loopback (with a loud warning) unless given
//! `--allow-unauthenticated`: `serve` and `core`, from a file or from the environment, refuse
//! to start on another address with a message naming the address and the ways out. A reload
//! of `core` is held to the same check (`reload_guard.rs` covers `serve`).

use crate::chat_client;
use crate::support;

use std::process::{Command, ExitStatus, Stdio};
use std::time::Instant;

use chat_client::chat;
use mock_upstream::MockUpstream;
use modelgate::v1::ListModelsRequest;
use modelgate::v1::gateway_client::GatewayClient;
use nix::sys::signal::Signal;
use support::{BIN, DEADLINE, Launch, Process, config_file, eventually, mock, strings};

const KEY: &str = "sk-open-access";
const WARNING: &str = "NO CLIENT KEYS CONFIGURED";

fn providers(mock: &MockUpstream) -> String {
    format!(
        "providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up, models: [text] }}\n",
        mock.base_url()
    )
}

/// Runs the binary until it exits on its own (failing if it is still running at the
/// deadline) and returns its exit status and stderr.
fn run_to_exit(args: &[String], env: &[(&str, &str)]) -> (ExitStatus, String) {
    let log = tempfile::NamedTempFile::new().expect("log file");
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log.reopen().expect("log file"));
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("starts");
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return (status, support::read(log.path()));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} kept running:\n{}", support::read(log.path()));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A start that must be refused: what, arguments, environment, the address text the message
/// must hold.
type Refusal<'a> = (&'a str, Vec<String>, &'a [(&'a str, &'a str)], &'a str);

/// `http://127.0.0.1:PORT` for a listener bound to `0.0.0.0:PORT`.
fn loopback_url(process: &Process, what: &str) -> String {
    let addr = process.addr(what);
    assert!(addr.starts_with("0.0.0.0:"), "{addr}");
    format!("http://127.0.0.1:{}", addr.trim_start_matches("0.0.0.0:"))
}

#[tokio::test(flavor = "multi_thread")]
async fn keyless_on_a_public_address_refuses_to_start() {
    let mock = mock().await;
    let (_dir, file) = config_file(&providers(&mock));
    let file = file.to_string_lossy().into_owned();
    let base = mock.base_url();
    let from_env = [
        ("OPENAI_API_KEY", "sk-up"),
        ("OPENAI_BASE_URL", base.as_str()),
    ];
    let cases: [Refusal; 4] = [
        (
            "serve, file",
            strings(&[
                "serve",
                "--http",
                "0.0.0.0:0",
                "--grpc",
                "0.0.0.0:0",
                "--config",
                &file,
            ]),
            &[],
            "0.0.0.0:0, 0.0.0.0:0",
        ),
        (
            "serve, only gRPC public",
            strings(&[
                "serve",
                "--http",
                "127.0.0.1:0",
                "--grpc",
                "0.0.0.0:0",
                "--config",
                &file,
            ]),
            &[],
            "no client keys are configured and 0.0.0.0:0 is not",
        ),
        (
            "serve, environment",
            strings(&["serve", "--http", "0.0.0.0:0", "--grpc", "0.0.0.0:0"]),
            &from_env,
            "0.0.0.0:0",
        ),
        (
            "core, file",
            strings(&["core", "--grpc", "0.0.0.0:0", "--config", &file]),
            &[],
            "0.0.0.0:0",
        ),
    ];
    for (what, args, env, names) in cases {
        let (status, log) = run_to_exit(&args, env);
        assert!(!status.success(), "{what}: {status:?}\n{log}");
        assert!(!log.contains("listening"), "{what}: it listened:\n{log}");
        assert!(
            log.contains("no client keys are configured"),
            "{what}: {log}"
        );
        assert!(
            log.contains(names),
            "{what}: the address is not named:\n{log}"
        );
        for way_out in [
            "MODELGATE_API_KEYS",
            "auth.keys",
            "127.0.0.1",
            "--allow-unauthenticated",
        ] {
            assert!(
                log.contains(way_out),
                "{what}: {way_out} not offered:\n{log}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn keyless_with_allow_unauthenticated_starts_on_a_public_address() {
    let mock = mock().await;
    let (_dir, file) = config_file(&providers(&mock));
    let file = file.to_string_lossy().into_owned();
    let serve = Process::start(Launch {
        args: strings(&[
            "serve",
            "--http",
            "0.0.0.0:0",
            "--grpc",
            "0.0.0.0:0",
            "--config",
            &file,
            "--allow-unauthenticated",
        ]),
        env: Vec::new(),
        wait_for: vec!["http", "grpc"],
    });
    assert!(serve.log().contains(WARNING), "{}", serve.log());
    let http = loopback_url(&serve, "http");
    eventually("ready", || async {
        chat_client::get_status(&http, "/health/ready").await == 200
    })
    .await;
    let (status, body) = chat(&http, None, "mock/text").await;
    assert_eq!(status, 200, "{body}");

    let core = Process::start(Launch {
        args: strings(&[
            "core",
            "--grpc",
            "0.0.0.0:0",
            "--config",
            &file,
            "--allow-unauthenticated",
        ]),
        env: Vec::new(),
        wait_for: vec!["grpc"],
    });
    assert!(core.log().contains(WARNING), "{}", core.log());
    let mut client = GatewayClient::connect(loopback_url(&core, "grpc"))
        .await
        .expect("core reachable");
    let listed = client.list_models(ListModelsRequest {}).await;
    assert!(listed.is_ok(), "{listed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn keyless_on_loopback_starts_with_a_warning() {
    let mock = mock().await;
    let (_dir, file) = config_file(&providers(&mock));
    let serve = Process::start(Launch {
        args: strings(&[
            "serve",
            "--http",
            "127.0.0.1:0",
            "--grpc",
            "127.0.0.1:0",
            "--config",
            &file.to_string_lossy(),
        ]),
        env: Vec::new(),
        wait_for: vec!["http", "grpc"],
    });
    assert!(serve.log().contains(WARNING), "{}", serve.log());
    let http = format!("http://{}", serve.addr("http"));
    eventually("ready", || async {
        chat_client::get_status(&http, "/health/ready").await == 200
    })
    .await;
    assert_eq!(chat(&http, None, "mock/text").await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_core_reload_without_keys_on_a_public_address_is_rejected() {
    let mock = mock().await;
    let keyed = format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n{}",
        providers(&mock)
    );
    let (_dir, file) = config_file(&keyed);
    for (flag, accepted) in [(None, false), (Some("--allow-unauthenticated"), true)] {
        std::fs::write(&file, &keyed).expect("write");
        let mut args = strings(&[
            "core",
            "--grpc",
            "0.0.0.0:0",
            "--config",
            &file.to_string_lossy(),
        ]);
        args.extend(flag.map(str::to_owned));
        let core = Process::start(Launch {
            args,
            env: Vec::new(),
            wait_for: vec!["grpc"],
        });
        let mut client = GatewayClient::connect(loopback_url(&core, "grpc"))
            .await
            .expect("core reachable");
        let keyless = client.list_models(ListModelsRequest {}).await.map(drop);
        let code = keyless.expect_err("a key is needed").code();
        assert_eq!(code, tonic::Code::Unauthenticated, "{flag:?}");

        std::fs::write(&file, providers(&mock)).expect("rewrite without keys");
        core.signal(Signal::SIGHUP);
        eventually("the reload is handled", || async {
            core.log().contains("config reload")
        })
        .await;
        let log = core.log();
        let keyless = client.list_models(ListModelsRequest {}).await.map(drop);
        if accepted {
            assert!(log.contains("config reloaded"), "{log}");
            assert!(keyless.is_ok(), "{keyless:?}\n{log}");
        } else {
            assert!(log.contains("config reload rejected"), "{log}");
            assert!(log.contains("no client keys are configured"), "{log}");
            let code = keyless.expect_err("still needs a key").code();
            assert_eq!(code, tonic::Code::Unauthenticated, "{log}");
        }
    }
}
