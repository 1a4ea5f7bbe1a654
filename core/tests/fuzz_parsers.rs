//! Property tests of every parser in the core that reads upstream or operator
//! bytes: the SSE decoder, the NDJSON decoder, each provider's stream
//! translator, and the config loader. Inputs are the recorded provider
//! fixtures, mutated byte-wise or with one JSON node replaced by an arbitrary
//! value, and cut into arbitrary chunks. Properties: no panic, bounded
//! buffering, and a result that does not depend on where the bytes were cut.
//!
//! Case counts are set so the whole file runs in a few seconds on two cores.

use std::sync::OnceLock;

use mock_upstream::fuzz_input::{Mutation, fixture_files, mutate, replace_node, split_at};
use modelgate_core::config::{Config, MapEnv};
use modelgate_core::providers::anthropic::stream::StreamState as AnthropicState;
use modelgate_core::providers::gemini::response::Translator;
use modelgate_core::providers::images::{Destinations, http_image_urls, is_public, parse_data_uri};
use modelgate_core::providers::ollama::ndjson::{MAX_LINE_BYTES, NdjsonDecoder, NdjsonError};
use modelgate_core::providers::ollama::response::StreamState as OllamaState;
use modelgate_core::providers::openai::response::parse_stream_data;
use modelgate_core::sse::{MAX_EVENT_BYTES, SseDecoder, SseError, SseEvent};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::Value;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Found failures are kept as plain #[test]s below, not in files.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn fixtures(exts: &[&str]) -> Vec<(String, Vec<u8>)> {
    let files = fixture_files(&mock_upstream::default_fixtures_dir(), exts);
    assert!(!files.is_empty(), "no fixtures with {exts:?}");
    files
}

fn sse_fixtures() -> &'static [(String, Vec<u8>)] {
    static FILES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    FILES.get_or_init(|| fixtures(&[".sse"]))
}

fn ndjson_fixtures() -> &'static [(String, Vec<u8>)] {
    static FILES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    FILES.get_or_init(|| fixtures(&[".ndjson"]))
}

/// Fixture files of one provider folder.
fn sse_of(provider: &str) -> Vec<&'static [u8]> {
    let sep = std::path::MAIN_SEPARATOR;
    sse_fixtures()
        .iter()
        .filter(|(name, _)| name.contains(&format!("{sep}{provider}{sep}")))
        .map(|(_, bytes)| bytes.as_slice())
        .collect()
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        (
            any::<usize>(),
            prop::sample::select(b"\n\r:{}\",[]".to_vec())
        )
            .prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Delete { at }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), any::<usize>()).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
    ]
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 0..8)
}

fn cuts() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(any::<usize>(), 0..24)
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "text",
            "tool_use",
            "input_json_delta",
            "content_block_start",
            "message_delta",
            "stop",
            "length",
            "tool_calls",
            "STOP",
            "assistant",
            "",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Everything a decoder yields for `parts`, and the error that stopped it.
fn decode_sse(parts: &[Vec<u8>]) -> (Vec<SseEvent>, Option<SseError>) {
    let mut dec = SseDecoder::new();
    let mut events = Vec::new();
    for part in parts {
        match dec.push(part) {
            Ok(more) => events.extend(more),
            Err(e) => return (events, Some(e)),
        }
    }
    match dec.finish() {
        Ok(last) => events.extend(last),
        Err(e) => return (events, Some(e)),
    }
    (events, None)
}

fn decode_ndjson(parts: &[Vec<u8>]) -> (Vec<Vec<u8>>, Option<NdjsonError>) {
    let mut dec = NdjsonDecoder::new();
    let mut lines = Vec::new();
    for part in parts {
        match dec.push(part) {
            Ok(more) => lines.extend(more),
            Err(e) => return (lines, Some(e)),
        }
    }
    lines.extend(dec.finish());
    (lines, None)
}

/// The `data:` payloads of a (possibly mutated) SSE byte string.
fn payloads(bytes: &[u8]) -> Vec<String> {
    decode_sse(&[bytes.to_vec()])
        .0
        .into_iter()
        .map(|e| e.data)
        .collect()
}

/// Runs one stream's payloads through every provider's translator.
fn translate_all(data: &[String]) {
    for item in data {
        let _ = parse_stream_data("fuzz", item);
    }
    let mut anthropic = AnthropicState::new();
    for item in data {
        if anthropic.on_data("fuzz", item).is_err() {
            break;
        }
    }
    let mut gemini = Translator::new("fuzz", "gemini-fuzz");
    for item in data {
        if gemini.event(item).is_err() {
            break;
        }
    }
    let _ = gemini.finish();
}

proptest! {
    #![proptest_config(config(256))]

    /// Cutting a (mutated) recorded stream anywhere gives the same events.
    #[test]
    fn sse_decoding_does_not_depend_on_chunking(
        file in prop::sample::select(sse_fixtures()),
        edits in mutations(),
        cuts in cuts(),
    ) {
        let bytes = mutate(&file.1, &edits);
        let whole = decode_sse(std::slice::from_ref(&bytes));
        let split = decode_sse(&split_at(&bytes, &cuts));
        match (&whole.1, &split.1) {
            (None, None) => prop_assert_eq!(whole.0, split.0),
            // Events decoded before the failing push may differ; the failure may not.
            (a, b) => prop_assert_eq!(a, b),
        }
    }

    #[test]
    fn ndjson_decoding_does_not_depend_on_chunking(
        file in prop::sample::select(ndjson_fixtures()),
        edits in mutations(),
        cuts in cuts(),
    ) {
        let bytes = mutate(&file.1, &edits);
        let whole = decode_ndjson(std::slice::from_ref(&bytes));
        let split = decode_ndjson(&split_at(&bytes, &cuts));
        prop_assert_eq!(whole, split);
    }

    /// Byte-mutated streams of every provider through every translator.
    #[test]
    fn translators_survive_mutated_streams(
        file in prop::sample::select(sse_fixtures()),
        edits in mutations(),
    ) {
        translate_all(&payloads(&mutate(&file.1, &edits)));
    }

    /// Recorded events with one JSON node replaced by any value: the shape is
    /// right, so the translators get past parsing and into their logic.
    #[test]
    fn translators_survive_reshaped_events(
        provider in prop::sample::select(vec!["openai", "openai-compatible", "anthropic", "gemini"]),
        pick in any::<prop::sample::Index>(),
        nodes in prop::collection::vec((any::<usize>(), any::<usize>(), json_value()), 1..4),
    ) {
        let files = sse_of(provider);
        let mut data = payloads(pick.get::<&[u8]>(&files));
        for (event, node, value) in nodes {
            if data.is_empty() {
                break;
            }
            let at = event % data.len();
            if let Ok(mut json) = serde_json::from_str::<Value>(&data[at]) {
                replace_node(&mut json, node, value);
                data[at] = json.to_string();
            }
        }
        translate_all(&data);
    }

    #[test]
    fn ollama_translator_survives_mutated_and_reshaped_lines(
        file in prop::sample::select(ndjson_fixtures()),
        edits in mutations(),
        nodes in prop::collection::vec((any::<usize>(), any::<usize>(), json_value()), 0..3),
    ) {
        let mut lines = decode_ndjson(&[mutate(&file.1, &edits)]).0;
        for (line, node, value) in nodes {
            if lines.is_empty() {
                break;
            }
            let at = line % lines.len();
            if let Ok(mut json) = serde_json::from_slice::<Value>(&lines[at]) {
                replace_node(&mut json, node, value);
                lines[at] = json.to_string().into_bytes();
            }
        }
        let mut state = OllamaState::new("fuzz", "chatcmpl-fuzz".into(), 0, "llama");
        for line in &lines {
            if state.line(line).is_err() {
                break;
            }
        }
    }

    /// Arbitrary payloads straight into each translator.
    #[test]
    fn translators_survive_any_json(values in prop::collection::vec(json_value(), 1..6)) {
        let data: Vec<String> = values.iter().map(Value::to_string).collect();
        translate_all(&data);
        let mut state = OllamaState::new("fuzz", "chatcmpl-fuzz".into(), 0, "llama");
        for line in &data {
            let _ = state.line(line.as_bytes());
        }
    }
}

const CONFIG_SEED: &str = r#"
server:   { http: 0.0.0.0:8001, grpc: 0.0.0.0:50051, body_limit_mb: 32 }
auth:
  keys:
    - { name: lobechat, key: os.environ/LOBECHAT_KEY, models: ["*"] }
    - &batch { name: batch, key: sk-batch-123456, models: ["openai/*", "fast"] }
cors:     { allow_origins: ["http://localhost:3210"] }
providers:
  openai:    { api_key: os.environ/OPENAI_API_KEY, timeout: 30 }
  anthropic: { api_key: os.environ/ANTHROPIC_API_KEY }
  gemini:    { api_key: sk-gem }
  ollama:    { api_base: http://localhost:11434 }
  azure:     { api_key: az, api_base: https://NAME.openai.azure.com, api_version: "2024-10-21" }
  groq:      { api_key: gsk }
  local:     { kind: openai, api_base: http://localhost:8000/v1, models: [qwen3-8b] }
model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_key: os.environ/OPENAI_API_KEY }
  - model_name: fast
    litellm_params: { model: groq/llama-3.3-70b-versatile }
  - model_name: fast
    litellm_params: { model: ollama/qwen3 }
environment_variables: { EXTRA: "1" }
image_fetch: { allow: ["10.1.2.0/24", "images.internal:8080", "*.img.corp"], max_images: 8, max_concurrent: 2 }
"#;

fn config_env() -> MapEnv {
    MapEnv::from_pairs(&[
        ("LOBECHAT_KEY", "sk-lobe-1"),
        ("OPENAI_API_KEY", "sk-openai-2"),
        ("ANTHROPIC_API_KEY", "sk-ant-3"),
    ])
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn config_loader_survives_mutated_yaml(edits in prop::collection::vec(mutation(), 0..12)) {
        let bytes = mutate(CONFIG_SEED.as_bytes(), &edits);
        let text = String::from_utf8_lossy(&bytes);
        let _ = Config::from_yaml_str(&text, "fuzz.yaml", &config_env());
    }

    /// JSON is YAML: any value as the document, and any value in place of one
    /// node of the seed.
    #[test]
    fn config_loader_survives_reshaped_documents(node in any::<usize>(), value in json_value()) {
        let _ = Config::from_yaml_str(&value.to_string(), "fuzz.yaml", &config_env());
        let mut doc = seed_document();
        replace_node(&mut doc, node, value);
        let _ = Config::from_yaml_str(&doc.to_string(), "fuzz.yaml", &config_env());
    }
}

/// A valid config as a JSON document, to reshape one node at a time.
fn seed_document() -> Value {
    serde_json::json!({
        "server": {"http": "0.0.0.0:8001", "grpc": "0.0.0.0:50051", "body_limit_mb": 32},
        "auth": {"keys": [
            {"name": "lobechat", "key": "os.environ/LOBECHAT_KEY", "models": ["*"]},
            {"name": "batch", "key": "sk-batch-123456", "models": ["openai/*", "fast"]}
        ]},
        "cors": {"allow_origins": ["http://localhost:3210"]},
        "providers": {
            "openai": {"api_key": "os.environ/OPENAI_API_KEY", "timeout": 30},
            "ollama": {"api_base": "http://localhost:11434"},
            "local": {"kind": "openai", "api_base": "http://localhost:8000/v1", "models": ["qwen3-8b"]}
        },
        "model_list": [
            {"model_name": "gpt-4o", "litellm_params": {"model": "openai/gpt-4o"}},
            {"model_name": "fast", "litellm_params": {"model": "ollama/qwen3"}}
        ]
    })
}

#[test]
fn seed_config_is_valid() {
    Config::from_yaml_str(CONFIG_SEED, "seed.yaml", &config_env()).expect("seed loads");
    let doc = seed_document().to_string();
    Config::from_yaml_str(&doc, "seed.json", &config_env()).expect("JSON seed loads");
}

/// Alias expansion ("billion laughs") must fail fast, not allocate the tree.
#[test]
fn yaml_alias_bomb_is_refused() {
    let mut doc = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        doc.push_str(&format!(
            "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
    }
    let started = std::time::Instant::now();
    let result = Config::from_yaml_str(&doc, "bomb.yaml", &config_env());
    assert!(result.is_err());
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

/// A body that never sends a line end is refused once it passes the cap,
/// having buffered at most the cap plus one read.
#[test]
fn sse_event_without_end_is_refused_at_the_cap() {
    let mut dec = SseDecoder::new();
    dec.push(b"data: ").expect("start");
    let piece = vec![b'x'; 64 * 1024];
    let mut fed = 0;
    loop {
        fed += piece.len();
        match dec.push(&piece) {
            Ok(events) => assert!(events.is_empty()),
            Err(e) => {
                assert_eq!(e, SseError::TooLarge);
                break;
            }
        }
        assert!(
            fed <= MAX_EVENT_BYTES + piece.len(),
            "buffered past the cap"
        );
    }
}

/// The same for many `data:` lines that never end their event.
#[test]
fn sse_event_of_many_lines_is_refused_at_the_cap() {
    let mut dec = SseDecoder::new();
    let line = format!("data: {}\n", "y".repeat(1000)).into_bytes();
    let mut fed = 0;
    let err = loop {
        fed += line.len();
        // `data: ` and the line end are not buffered, so the cap is reached
        // after slightly more bytes than it counts.
        assert!(
            fed <= MAX_EVENT_BYTES + MAX_EVENT_BYTES / 100,
            "buffered past the cap"
        );
        if let Err(e) = dec.push(&line) {
            break e;
        }
    };
    assert_eq!(err, SseError::TooLarge);
}

#[test]
fn ndjson_line_without_end_is_refused_at_the_cap() {
    let mut dec = NdjsonDecoder::new();
    let piece = vec![b'{'; 64 * 1024];
    let mut fed = 0;
    loop {
        fed += piece.len();
        if dec.push(&piece).is_err() {
            break;
        }
        assert!(fed <= MAX_LINE_BYTES + piece.len(), "buffered past the cap");
    }
}

/// A 10 MB event arriving in 16 KiB reads: decoding must stay linear (the
/// decoder must not rescan the whole partial line on every read).
#[test]
fn large_event_in_small_reads_decodes_in_linear_time() {
    let mut body = b"data: ".to_vec();
    body.extend(std::iter::repeat_n(b'z', 10 * 1000 * 1000));
    body.extend_from_slice(b"\n\n");
    let started = std::time::Instant::now();
    let mut dec = SseDecoder::new();
    let mut events = Vec::new();
    for piece in body.chunks(16 * 1024) {
        events.extend(dec.push(piece).expect("under the cap"));
    }
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data.len(), 10 * 1000 * 1000);
    // Linear: a few tens of ms in a debug build; the quadratic rescan took
    // seconds.
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(2), "took {took:?}");
}

/// Strings shaped like what clients put in `image_url.url`, plus anything at all.
fn image_url_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(data:|DATA:)[a-z/+.-]{0,12}(;base64)?,?[A-Za-z0-9+/=,;: ]{0,24}",
        "(http|https|HTTP|ftp|file|gopher)://([a-z0-9_%.-]{0,12}(:[a-z0-9%]{0,6})?@)?(\\[[0-9a-fA-F:.]{0,40}\\]|[0-9a-z.x-]{0,20})(:[0-9]{0,6})?(/[ -~]{0,16})?",
    ]
}

/// The allow list of the seed config: a range, a host with a port, a wildcard.
fn seed_destinations() -> &'static Destinations {
    static SEED: OnceLock<Destinations> = OnceLock::new();
    SEED.get_or_init(|| {
        let config = Config::from_yaml_str(CONFIG_SEED, "fuzz.yaml", &config_env())
            .expect("the seed config is valid");
        Destinations::new(config.image_fetch.allow)
    })
}

proptest! {
    #![proptest_config(config(512))]

    /// Image parts never panic the parsers, and a URL that passes with no allow list names a
    /// public address (when it is written in the URL) on port 80 or 443, over http(s), without
    /// userinfo.
    #[test]
    fn image_urls_are_classified_without_panics(text in image_url_text()) {
        if let Some(image) = parse_data_uri(&text) {
            prop_assert!(!image.mime.is_empty());
        }
        let request = modelgate::v1::ChatCompletionRequest {
            messages: vec![modelgate::v1::Message {
                content: Some(modelgate::v1::message::Content::Parts(modelgate::v1::ContentParts {
                    parts: vec![modelgate::v1::ContentPart {
                        part: Some(modelgate::v1::content_part::Part::ImageUrl(modelgate::v1::ImageUrl {
                            url: text.clone(),
                            detail: None,
                        })),
                    }],
                })),
                ..Default::default()
            }],
            ..Default::default()
        };
        let listed = http_image_urls(&request);
        prop_assert!(listed.len() <= 1);
        let Ok(url) = reqwest::Url::parse(&text) else {
            return Ok(());
        };
        let _ = seed_destinations().check_url(&url);
        if Destinations::default().check_url(&url).is_ok() {
            prop_assert!(matches!(url.scheme(), "http" | "https"));
            prop_assert!(url.username().is_empty() && url.password().is_none());
            prop_assert!(matches!(url.port_or_known_default(), Some(80 | 443)));
            let host = url.host_str().unwrap_or_default();
            if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse() {
                prop_assert!(is_public(ip), "{} passed as public", ip);
            }
        }
    }

    /// Every address classifies; IPv4-mapped forms are never public.
    #[test]
    fn addresses_classify_without_panics(v4 in any::<u32>(), v6 in any::<u128>()) {
        let v4 = std::net::Ipv4Addr::from(v4);
        let _ = is_public(v4.into());
        prop_assert!(!is_public(v4.to_ipv6_mapped().into()));
        let _ = is_public(std::net::Ipv6Addr::from(v6).into());
    }

    /// Any text as an `image_fetch.allow` entry is accepted or refused with a located error.
    #[test]
    fn allow_entries_parse_without_panics(entry in image_url_text()) {
        let yaml = format!("image_fetch: {{ allow: [{}] }}", Value::String(entry));
        if let Err(e) = Config::from_yaml_str(&yaml, "fuzz.yaml", &config_env()) {
            prop_assert!(e.path.starts_with("image_fetch") || e.path.is_empty(), "{}", e);
        }
    }
}
