//! Response bodies that no fixture holds (the fixtures README lists them as not found).

/// OpenAI's documented 401 envelope for a wrong API key (the message echoes the masked key).
pub(crate) const ERROR_401: &str = r#"{"error":{"message":"Incorrect API key provided: sk-prov**********cret. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;

/// OpenAI's documented 500 envelope.
pub(crate) const ERROR_500: &str = r#"{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#;

/// What a proxy in front of a provider sends when the provider is down.
pub(crate) const ERROR_503_HTML: &str =
    "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>";

/// OpenAI's answer to a body that is not JSON.
pub(crate) const ERROR_400_INVALID_JSON: &str = r#"{"error":{"message":"We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)","type":"invalid_request_error","param":null,"code":null}}"#;

/// Answer to a route the mock does not serve.
pub(crate) const ERROR_404_ROUTE: &str = r#"{"error":{"message":"mock-upstream: no such route","type":"invalid_request_error","param":null,"code":"unknown_url"}}"#;

/// Body of the `garbage` scenario: not SSE, not UTF-8.
pub(crate) const GARBAGE: &[u8] = b"\x00\xff not sse at all {{{\n\n";

/// One event of the `endless` scenario: a valid content chunk.
pub(crate) const ENDLESS_EVENT: &str = "data: {\"id\":\"chatcmpl-endless\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"endless\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"la \"},\"finish_reason\":null}]}\n\n";

/// Size of the one content delta of the `huge-event` scenario.
pub(crate) const HUGE_EVENT_BYTES: usize = 10 * 1000 * 1000;

/// The `huge-event` body: one valid chunk whose content is
/// [`HUGE_EVENT_BYTES`] long, on a single `data:` line, then `[DONE]`.
pub(crate) fn huge_event() -> Vec<u8> {
    let head = br#"data: {"id":"chatcmpl-huge","object":"chat.completion.chunk","created":1,"model":"huge-event","choices":[{"index":0,"delta":{"role":"assistant","content":""#;
    let tail = b"\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    let mut body = Vec::with_capacity(head.len() + HUGE_EVENT_BYTES + tail.len());
    body.extend_from_slice(head);
    body.resize(head.len() + HUGE_EVENT_BYTES, b'a');
    body.extend_from_slice(tail);
    body
}

/// A valid 1×1 transparent PNG (signature, IHDR, IDAT, IEND).
pub(crate) const PIXEL_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];
