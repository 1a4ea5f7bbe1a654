//! `modelgate serve` runs the facade and the core in one process and the facade calls the core
//! in process: while HTTP requests run, the process holds no TCP connection to or from its own
//! gRPC port (its listener aside). The same count taken on a split deployment's facade shows
//! its connection to the core, so the count can see such a hop.

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde_json::json;
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-in-process-test";

/// TCP sockets of process `pid` (from its fds and the namespace's tcp tables), not listening,
/// whose local or remote port is `port`.
fn connections_on_port(pid: u32, port: u16) -> usize {
    let inodes: std::collections::HashSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("fd dir")
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|target| {
            let t = target.to_string_lossy().into_owned();
            Some(t.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
        })
        .collect();
    let port_of = |addr: &str| {
        addr.rsplit(':')
            .next()
            .and_then(|p| u16::from_str_radix(p, 16).ok())
    };
    let mut n = 0;
    for table in ["tcp", "tcp6"] {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // local, remote, state (0A = LISTEN), …, inode
            let (local, remote, state, inode) = (f[1], f[2], f[3], f[9]);
            if state != "0A"
                && inodes.contains(inode)
                && (port_of(local) == Some(port) || port_of(remote) == Some(port))
            {
                n += 1;
            }
        }
    }
    n
}

fn grpc_port(gw: &Gateway) -> u16 {
    gw.grpc_addr()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("grpc port")
}

/// Runs chats (plain and streamed), a model list and readiness checks through the HTTP port,
/// sampling the HTTP process's connections on the gRPC port all the while; the most seen.
async fn most_connections_while_serving(gw: &Gateway) -> usize {
    let pid = gw.http_process().child.id();
    let port = grpc_port(gw);
    let most = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (most, done) = (most.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                most.fetch_max(connections_on_port(pid, port), Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        })
    };
    let client = reqwest::Client::new();
    for stream in [false, true, false, true] {
        let response = client
            .post(gw.url("/v1/chat/completions"))
            .bearer_auth(KEY)
            .json(&json!({"model": "mock/text", "stream": stream,
                "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 200, "{:?} stream={stream}", gw.mode);
        let body = response.text().await.expect("body");
        assert!(!body.is_empty());
        for path in ["/v1/models", "/health/ready"] {
            let status = client
                .get(gw.url(path))
                .bearer_auth(KEY)
                .send()
                .await
                .expect("answers")
                .status();
            assert_eq!(status, 200, "{:?} {path}", gw.mode);
        }
        // Once more after each round, when a pooled connection would sit idle.
        most.fetch_max(connections_on_port(pid, port), Ordering::SeqCst);
    }
    done.store(true, Ordering::SeqCst);
    sampler.join().expect("sampler");
    most.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_calls_its_core_without_a_socket() {
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up, models: [text] }}\n",
        mock.base_url()
    ));

    // The control: a split facade reaches its core over TCP, and the count sees it.
    let split = Gateway::start(Mode::Split, &file, &[]).await;
    let facade_hops = most_connections_while_serving(&split).await;
    assert!(
        facade_hops >= 1,
        "the split facade showed no connection to the core's port: the count sees nothing"
    );
    drop(split);

    let serve = Gateway::start(Mode::Serve, &file, &[]).await;
    let serve_hops = most_connections_while_serving(&serve).await;
    assert_eq!(
        serve_hops, 0,
        "serve held TCP connections on its own gRPC port while answering HTTP"
    );
}
