//! Incremental `text/event-stream` decoding for upstream streams.
//!
//! Written here rather than taken from a crate because the gateway needs a
//! hard cap on how much one event may buffer: an upstream that never sends a
//! blank line must not grow memory without bound.

use bytes::{Buf, BytesMut};

/// Largest event (all its `data:` lines) accepted from an upstream.
pub const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field; empty for unnamed events.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// The stream broke the framing rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// An event grew past [`MAX_EVENT_BYTES`].
    #[error("upstream event exceeds {MAX_EVENT_BYTES} bytes")]
    TooLarge,
    /// A line was not UTF-8.
    #[error("upstream stream is not valid UTF-8 text")]
    NotUtf8,
}

/// Feeds bytes in, takes whole events out.
#[derive(Debug, Default)]
pub struct SseDecoder {
    buf: BytesMut,
    event: String,
    data: String,
    has_data: bool,
    /// A `\r` ended the last line; a `\n` right after it belongs to it.
    after_cr: bool,
    /// Bytes of `buf` already searched for a line end, so a long partial
    /// line is not rescanned on every read (that made a 10 MB event cost
    /// seconds of CPU).
    scanned: usize,
}

impl SseDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes and returns the events they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(line) = self.next_line() {
            if let Some(event) = self.take_line(&line)? {
                out.push(event);
            }
        }
        if self.buf.len() + self.data.len() > MAX_EVENT_BYTES {
            return Err(SseError::TooLarge);
        }
        Ok(out)
    }

    /// Ends the stream: an event left without its blank line is still
    /// dispatched, since several servers omit the last one.
    pub fn finish(&mut self) -> Result<Option<SseEvent>, SseError> {
        if !self.buf.is_empty() {
            self.scanned = 0;
            let rest = self.buf.split();
            if let Some(event) = self.take_line(&rest)? {
                return Ok(Some(event));
            }
        }
        Ok(self.dispatch())
    }

    /// The next whole line, without its end, split off the buffer (no copy).
    fn next_line(&mut self) -> Option<BytesMut> {
        if self.after_cr {
            match self.buf.first() {
                None => return None,
                Some(b'\n') => self.buf.advance(1),
                Some(_) => {}
            }
            self.after_cr = false;
        }
        let Some(pos) = memchr::memchr2(b'\n', b'\r', &self.buf[self.scanned..]) else {
            self.scanned = self.buf.len();
            return None;
        };
        let end = self.scanned + pos;
        self.scanned = 0;
        self.after_cr = self.buf[end] == b'\r';
        let line = self.buf.split_to(end);
        self.buf.advance(1);
        Some(line)
    }

    fn take_line(&mut self, line: &[u8]) -> Result<Option<SseEvent>, SseError> {
        if line.is_empty() {
            return Ok(self.dispatch());
        }
        if line[0] == b':' {
            return Ok(None);
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                let value = std::str::from_utf8(value).map_err(|_| SseError::NotUtf8)?;
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
                if self.data.len() > MAX_EVENT_BYTES {
                    return Err(SseError::TooLarge);
                }
            }
            b"event" => {
                let value = std::str::from_utf8(value).map_err(|_| SseError::NotUtf8)?;
                value.clone_into(&mut self.event);
            }
            // Other fields are ignored, as the spec says, but must still be text.
            _ => {
                std::str::from_utf8(line).map_err(|_| SseError::NotUtf8)?;
            }
        }
        Ok(None)
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        if !self.has_data {
            self.event.clear();
            return None;
        }
        self.has_data = false;
        Some(SseEvent {
            event: std::mem::take(&mut self.event),
            data: std::mem::take(&mut self.data),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8], piece: usize) -> Vec<SseEvent> {
        let mut dec = SseDecoder::new();
        let mut out = Vec::new();
        for part in input.chunks(piece.max(1)) {
            out.extend(dec.push(part).expect("valid"));
        }
        out.extend(dec.finish().expect("valid"));
        out
    }

    fn fixture(path: &str) -> Vec<u8> {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/providers/"
        );
        std::fs::read(format!("{dir}{path}")).expect("fixture present")
    }

    #[test]
    fn named_events_with_crlf_and_padding() {
        let events = decode_all(
            b"event: ping\r\ndata: {\"a\":1}  \r\n\r\ndata: x\r\n\r\n",
            3,
        );
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].event, "ping");
        assert_eq!(events[0].data, "{\"a\":1}  ");
        assert_eq!(events[1].event, "");
    }

    #[test]
    fn comments_are_skipped_and_multiline_data_joined() {
        let events = decode_all(b": keepalive\n\ndata: a\ndata: b\n\n", 1);
        assert_eq!(
            events,
            vec![SseEvent {
                event: String::new(),
                data: "a\nb".into()
            }]
        );
    }

    #[test]
    fn last_event_without_blank_line_is_kept() {
        let events = decode_all(b"data: one\n\ndata: [DONE]", 4);
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].data, "[DONE]");
    }

    #[test]
    fn openai_fixture_decodes_the_same_at_any_split() {
        let bytes = fixture("openai/chat-stream-text-include-usage.sse");
        let whole = decode_all(&bytes, bytes.len());
        assert_eq!(whole.last().map(|e| e.data.as_str()), Some("[DONE]"));
        for piece in [1, 7, 64] {
            assert_eq!(decode_all(&bytes, piece), whole);
        }
    }

    #[test]
    fn openrouter_comments_never_become_events() {
        let bytes =
            fixture("openai-compatible/openrouter-chat-stream-comments-midstream-error.sse");
        let events = decode_all(&bytes, 13);
        assert!(
            events
                .iter()
                .all(|e| !e.data.contains("OPENROUTER PROCESSING"))
        );
        assert!(events.iter().any(|e| e.data.contains("\"error\"")));
    }

    #[test]
    fn endless_event_is_refused() {
        let mut dec = SseDecoder::new();
        let line = vec![b'x'; 1024 * 1024];
        assert!(dec.push(b"data: ").is_ok());
        let mut result = Ok(Vec::new());
        for _ in 0..20 {
            result = dec.push(&line);
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(SseError::TooLarge));
    }
}
