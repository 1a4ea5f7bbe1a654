//! Byte-for-byte replay, one test per provider route: every row of the mock's source table
//! (`src/sources.rs`) that names fixture files is requested over HTTP, and the answer's status,
//! body bytes and `Content-Type` are compared with the files and with the type the fixtures
//! README records for them. Also: SOURCES.md is the table, and a missing fixture is a loud 500.

use std::path::{Path, PathBuf};

use mock_upstream::sources::{Framing, Kind, SOURCES, Source, render};
use mock_upstream::{MockUpstream, default_fixtures_dir};
use serde_json::{Value, json};

const API_VERSION: &str = "2024-10-21";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(default_fixtures_dir().join(path))
        .unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// `Content-Type` of a fixture as the fixtures README's "HTTP" column records it (the last
/// `…` span of the file's row, without " (original)").
fn recorded_type(path: &str) -> String {
    let readme = std::fs::read_to_string(default_fixtures_dir().join("README.md")).expect("README");
    let (dir, file) = path.split_once('/').expect("dir/file");
    let mut in_dir = false;
    for line in readme.lines() {
        if let Some(title) = line.strip_prefix("### ") {
            in_dir = title.starts_with(&format!("{dir}/"));
        } else if in_dir && line.starts_with(&format!("| `{file}` |")) {
            let http = line.split(" | ").nth(4).expect("HTTP column");
            let last = http.split('`').skip(1).step_by(2).last().expect("a type");
            return last.trim_end_matches(" (original)").to_owned();
        }
    }
    panic!("{path} is not in the fixtures README")
}

/// Pretty-printed JSON as one line: whitespace outside strings dropped.
fn one_line(pretty: &[u8]) -> Vec<u8> {
    let (mut out, mut in_string, mut escaped) = (Vec::new(), false, false);
    for &b in pretty {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !b.is_ascii_whitespace() {
            in_string = b == b'"';
            out.push(b);
        }
    }
    out.push(b'\n');
    out
}

/// The body a row promises, and the `Content-Type` it must carry.
fn expected(source: &Source) -> (Vec<u8>, String) {
    let first = source.files[0];
    let jsonl_lines = || {
        String::from_utf8(fixture(first))
            .expect("utf-8")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    match source.framing {
        Framing::Raw => (
            source.files.iter().flat_map(|f| fixture(f)).collect(),
            recorded_type(first),
        ),
        Framing::JsonlAsOpenAiSse => {
            let mut body: String = jsonl_lines()
                .iter()
                .map(|l| format!("data: {l}\n\n"))
                .collect();
            body.push_str("data: [DONE]\n\n");
            (body.into_bytes(), recorded_type(first))
        }
        Framing::JsonlAsAnthropicSse => {
            let body: String = jsonl_lines()
                .iter()
                .map(|l| {
                    let v: Value = serde_json::from_str(l).expect("json line");
                    format!(
                        "event: {}\ndata: {l}\n\n",
                        v["type"].as_str().expect("type")
                    )
                })
                .collect();
            (body.into_bytes(), recorded_type(first))
        }
        Framing::EventTerminated => {
            let mut body = fixture(first);
            body.push(b'\n');
            (body, recorded_type(first))
        }
        Framing::OneLineEach => (
            source
                .files
                .iter()
                .flat_map(|f| one_line(&fixture(f)))
                .collect(),
            "application/x-ndjson".to_owned(),
        ),
        Framing::NdjsonLine => (fixture(first), "application/x-ndjson".to_owned()),
        Framing::Paced => unreachable!("paced rows are not replayed"),
    }
}

/// The request that picks `source` on its route.
fn request(mock: &MockUpstream, source: &Source, stream: bool) -> reqwest::RequestBuilder {
    let http = client();
    let root = format!("http://{}", mock.addr());
    let model = source.model;
    match (source.route, source.request) {
        ("openai", "chat") => http
            .post(format!("{root}/v1/chat/completions"))
            .json(&json!({"model": model, "stream": stream})),
        ("openai", "embeddings") => http
            .post(format!("{root}/v1/embeddings"))
            .json(&json!({"model": model, "input": "hi"})),
        ("openai", "models") => http.get(format!("{root}/v1/models")),
        ("azure", request @ ("chat" | "embeddings")) => {
            let path = if request == "chat" {
                "chat/completions"
            } else {
                "embeddings"
            };
            http.post(format!(
                "{root}/azure/openai/deployments/{model}/{path}?api-version={API_VERSION}"
            ))
            .header("api-key", "k")
            .json(&json!({"stream": stream, "messages": [], "input": "hi"}))
        }
        ("anthropic", "chat") => http
            .post(format!("{root}/anthropic/v1/messages"))
            .header("x-api-key", "k")
            .header("anthropic-version", "2023-06-01")
            .json(&json!({"model": model, "max_tokens": 5, "stream": stream,
                          "messages": [{"role": "user", "content": "hi"}]})),
        ("gemini", "chat") => {
            let action = if stream {
                "streamGenerateContent?alt=sse"
            } else {
                "generateContent"
            };
            http.post(format!("{root}/gemini/v1beta/models/{model}:{action}"))
                .json(&json!({"contents": [{"parts": [{"text": "hi"}]}]}))
        }
        ("gemini", "embeddings") => http
            .post(format!(
                "{root}/gemini/v1beta/models/{model}:batchEmbedContents"
            ))
            .json(&json!({"requests": []})),
        ("gemini", "models") => http.get(format!("{root}/gemini/v1beta/models")),
        ("ollama", "chat") => http
            .post(format!("{root}/ollama/api/chat"))
            .json(&json!({"model": model, "stream": stream})),
        ("ollama", "embeddings") => http
            .post(format!("{root}/ollama/api/embed"))
            .json(&json!({"model": model, "input": "hi"})),
        ("ollama", "models") => http.get(format!("{root}/ollama/api/tags")),
        other => panic!("no request for {other:?}"),
    }
}

/// Requests every replayable row of `route` and compares it; returns how many were checked.
async fn replay_route(route: &str) -> usize {
    let mock = MockUpstream::start(default_fixtures_dir())
        .await
        .expect("mock starts");
    let rows: Vec<&Source> = SOURCES
        .iter()
        .filter(|s| s.route == route && !s.files.is_empty() && s.framing != Framing::Paced)
        .collect();
    let mut checked = 0;
    for source in rows {
        let streams = match source.stream {
            Some(stream) => vec![stream],
            None => vec![false, true],
        };
        for stream in streams {
            let what = format!(
                "{route} {} {} stream={stream}",
                source.request, source.model
            );
            let resp = request(&mock, source, stream)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            let (body, content_type) = expected(source);
            assert_eq!(resp.status().as_u16(), source.status, "{what}");
            assert_eq!(
                resp.headers()["content-type"].to_str().expect("ascii"),
                content_type,
                "{what}: the recorded Content-Type"
            );
            let got = resp.bytes().await.expect("body");
            assert!(
                got[..] == body[..],
                "{what}: body differs from {:?} ({} bytes, want {})",
                source.files,
                got.len(),
                body.len()
            );
            checked += 1;
        }
    }
    checked
}

#[tokio::test]
async fn openai_route_replays_its_recordings() {
    assert!(replay_route("openai").await >= 25);
}

#[tokio::test]
async fn azure_route_replays_its_recordings() {
    assert!(replay_route("azure").await >= 8);
}

#[tokio::test]
async fn anthropic_route_replays_its_recordings() {
    assert!(replay_route("anthropic").await >= 12);
}

#[tokio::test]
async fn gemini_route_replays_its_recordings() {
    assert!(replay_route("gemini").await >= 14);
}

#[tokio::test]
async fn ollama_route_replays_its_recordings() {
    assert!(replay_route("ollama").await >= 12);
}

#[test]
fn every_route_of_the_table_has_a_replay_test() {
    let mut routes: Vec<&str> = SOURCES
        .iter()
        .filter(|s| !s.files.is_empty())
        .map(|s| s.route)
        .collect();
    routes.sort_unstable();
    routes.dedup();
    // The Responses API rows are replayed by tests/responses_replay.rs.
    assert_eq!(
        routes,
        [
            "anthropic",
            "azure",
            "azure-responses",
            "gemini",
            "ollama",
            "openai",
            "openai-responses"
        ]
    );
}

#[test]
fn recorded_and_borrowed_rows_name_files_and_others_say_why() {
    for s in SOURCES {
        match s.kind {
            Kind::Recorded | Kind::Borrowed => {
                assert!(
                    !s.files.is_empty() || s.kind == Kind::Borrowed && !s.from.is_empty(),
                    "{s:?}"
                );
                for f in s.files {
                    assert!(mock_upstream::sources::file_path(f).is_file(), "{f}");
                }
            }
            Kind::Documented | Kind::Quoted | Kind::Synthetic => {
                assert!(!s.from.is_empty(), "{s:?} does not say where it comes from");
            }
        }
    }
}

#[test]
fn sources_md_is_the_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("SOURCES.md");
    let rendered = render();
    if std::env::var_os("MOCK_SOURCES_WRITE").is_some() {
        std::fs::write(&path, &rendered).expect("write SOURCES.md");
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == rendered,
        "SOURCES.md is out of date: run MOCK_SOURCES_WRITE=1 cargo test -p mock-upstream --test replay"
    );
}

/// A copy of the fixtures folder without `missing`.
fn fixtures_without(missing: &str) -> PathBuf {
    fn copy(from: &Path, to: &Path, skip: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("read_dir") {
            let entry = entry.expect("entry");
            let (src, dst) = (entry.path(), to.join(entry.file_name()));
            if src == skip {
                continue;
            }
            if src.is_dir() {
                copy(&src, &dst, skip);
            } else {
                std::fs::copy(&src, &dst).expect("copy");
            }
        }
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("mock-fixtures-{}-{stamp}", std::process::id()));
    let source = default_fixtures_dir();
    copy(&source, &dir, &source.join(missing));
    dir
}

#[tokio::test]
async fn a_missing_fixture_is_a_500_naming_it_on_every_native_route() {
    let cases = [
        ("anthropic", "anthropic/messages-text.json"),
        ("gemini", "gemini/generate-content-text.json"),
        ("ollama", "ollama/chat-tool-calls-thinking.json"),
        ("azure", "azure/chat-completion-content-filter-results.json"),
    ];
    for (route, file) in cases {
        let dir = fixtures_without(file);
        let mock = MockUpstream::start(&dir).await.expect("mock starts");
        let model = if route == "ollama" { "tools" } else { "text" };
        let source = SOURCES
            .iter()
            .find(|s| {
                s.route == route
                    && s.request == "chat"
                    && s.model == model
                    && s.stream == Some(false)
            })
            .expect("row");
        let resp = request(&mock, source, false).send().await.expect("answer");
        assert_eq!(resp.status(), 500, "{route}");
        let body = resp.text().await.expect("body");
        assert!(body.contains(file), "{route}: {body}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
