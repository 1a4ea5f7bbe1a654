//! A small HTTP server on a loopback port that records every request it gets and answers each
//! with what the test's function returns: an upstream a test controls completely.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;

/// One request as the server got it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    /// Path and query.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Recorded {
    /// Every header as `name: value` lines, then the body.
    pub fn echo(&self) -> String {
        let mut out = String::new();
        for (name, value) in &self.headers {
            out.push_str(&format!(
                "{name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        out.push_str(&String::from_utf8_lossy(&self.body));
        out
    }
}

type Answer = dyn Fn(&Recorded) -> Response + Send + Sync;

/// A running server; it stops when the test's runtime ends.
pub struct Loopback {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

#[derive(Clone)]
struct Shared {
    requests: Arc<Mutex<Vec<Recorded>>>,
    answer: Arc<Answer>,
}

impl Loopback {
    /// Starts a server answering every request with `answer`.
    pub async fn start(answer: impl Fn(&Recorded) -> Response + Send + Sync + 'static) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("addr").to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            requests: requests.clone(),
            answer: Arc::new(answer),
        };
        let app = axum::Router::new().fallback(handle).with_state(shared);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://{addr}"),
            addr,
            requests,
        }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("lock").clone()
    }
}

async fn handle(State(shared): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let recorded = Recorded {
        method: parts.method,
        uri: parts.uri.to_string(),
        headers: parts.headers,
        body,
    };
    let response = (shared.answer)(&recorded);
    shared.requests.lock().expect("lock").push(recorded);
    response
}

/// A response with `status`, a JSON body and nothing else.
pub fn json(status: u16, body: &serde_json::Value) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).expect("status"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("response")
}
