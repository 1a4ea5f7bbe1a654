//! `modelgate serve` without a config file, providers from the usual variables:
//! `ANTHROPIC_API_KEY` + `ANTHROPIC_BASE_URL` reach the base URL given, with the key; and
//! `GEMINI_API_KEY` alone makes a `gemini` provider. Gemini has no base-URL variable, so its
//! requests are caught on their way out through `HTTPS_PROXY` (which the upstream client
//! honours): the proxy sees a CONNECT to Google's host and refuses it, so nothing leaves the
//! machine.

use crate::chat_client;
use crate::support;

use std::sync::{Arc, Mutex};

use chat_client::{chat, get_status};
use support::{Launch, Process, eventually, mock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CLIENT_KEY: &str = "sk-env-providers-client";

async fn serve(env: &[(&str, &str)]) -> (Process, String) {
    let mut env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    env.push(("MODELGATE_API_KEYS".into(), CLIENT_KEY.into()));
    let process = Process::start(Launch {
        args: ["serve", "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0"]
            .map(str::to_owned)
            .to_vec(),
        env,
        wait_for: vec!["http", "grpc"],
    });
    let http = format!("http://{}", process.addr("http"));
    eventually("ready", || async {
        get_status(&http, "/health/ready").await == 200
    })
    .await;
    (process, http)
}

#[tokio::test(flavor = "multi_thread")]
async fn anthropic_base_url_from_the_environment_is_used() {
    let mock = mock().await;
    let base = mock.native_url("anthropic");
    let (_process, http) = serve(&[
        ("ANTHROPIC_API_KEY", "sk-ant-from-env-0123456789"),
        ("ANTHROPIC_BASE_URL", &base),
    ])
    .await;
    let (status, body) = chat(&http, Some(CLIENT_KEY), "anthropic/text").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["choices"][0]["message"]["content"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    let requests = mock.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].path, "/anthropic/v1/messages");
    assert_eq!(requests[0].body["model"], "text");
    let key = requests[0]
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-api-key"))
        .map(|(_, v)| v.as_str());
    assert_eq!(key, Some("sk-ant-from-env-0123456789"));
}

/// A proxy that records the target of every CONNECT and answers 403, so nothing goes further.
struct RefusingProxy {
    url: String,
    targets: Arc<Mutex<Vec<String>>>,
}

impl RefusingProxy {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let targets = Arc::new(Mutex::new(Vec::new()));
        let seen = targets.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let first = head.lines().next().unwrap_or_default().to_owned();
                    seen.lock().expect("lock").push(first);
                    let _ = socket
                        .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
                        .await;
                });
            }
        });
        Self { url, targets }
    }

    fn targets(&self) -> Vec<String> {
        self.targets.lock().expect("lock").clone()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn gemini_api_key_alone_makes_a_gemini_provider() {
    let proxy = RefusingProxy::start().await;
    let (_process, http) = serve(&[
        ("GEMINI_API_KEY", "gemini-key-from-env-0123456789"),
        ("HTTPS_PROXY", &proxy.url),
    ])
    .await;
    let response = reqwest::Client::new()
        .post(format!("{http}/v1/chat/completions"))
        .bearer_auth(CLIENT_KEY)
        .json(&chat_client::body("gemini/gemini-2.0-flash", false))
        .send()
        .await
        .expect("answers");
    // Routed to the provider, which could not be reached through the refusing proxy: not 404.
    assert_eq!(
        response
            .headers()
            .get("x-modelgate-provider")
            .and_then(|v| v.to_str().ok()),
        Some("gemini"),
        "{:?}",
        response.headers()
    );
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    assert_ne!(status, 404, "{body}");
    assert_ne!(status, 200, "{body}");
    let targets = proxy.targets();
    assert!(!targets.is_empty(), "no request went out");
    for target in &targets {
        assert!(
            target.starts_with("CONNECT generativelanguage.googleapis.com:443 "),
            "{target}"
        );
    }
}
