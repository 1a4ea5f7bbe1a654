//! Incremental newline-delimited JSON framing (`application/x-ndjson`), as
//! Ollama streams `/api/chat`: one JSON object per line.
//!
//! Hand-written for the same reason as the SSE decoder: one line may only
//! buffer up to a hard cap, so an upstream that never sends `\n` cannot grow
//! memory without bound.

use bytes::BytesMut;

/// Largest line accepted from an upstream (a final line with big tool-call
/// arguments stays far below this).
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// The stream broke the framing rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NdjsonError {
    /// A line grew past [`MAX_LINE_BYTES`] without ending.
    #[error("upstream line exceeds {MAX_LINE_BYTES} bytes")]
    TooLarge,
}

/// Feeds bytes in, takes whole non-blank lines out (without `\n` / `\r\n`).
#[derive(Debug, Default)]
pub struct NdjsonDecoder {
    buf: BytesMut,
    /// Bytes of `buf` already searched for `\n`, so a long partial line is
    /// not rescanned on every push.
    scanned: usize,
}

impl NdjsonDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes and returns the lines they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Vec<u8>>, NdjsonError> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(pos) = self.buf[self.scanned..].iter().position(|&b| b == b'\n') {
            let end = self.scanned + pos;
            let line = self.buf.split_to(end + 1);
            self.scanned = 0;
            if let Some(line) = clean(&line[..end]) {
                out.push(line);
            }
        }
        self.scanned = self.buf.len();
        if self.buf.len() > MAX_LINE_BYTES {
            return Err(NdjsonError::TooLarge);
        }
        Ok(out)
    }

    /// The last line when the body ends without a trailing newline.
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        let rest = std::mem::take(&mut self.buf);
        self.scanned = 0;
        clean(&rest)
    }
}

/// Strips a trailing `\r` and surrounding blanks; `None` for a blank line.
fn clean(line: &[u8]) -> Option<Vec<u8>> {
    let line = line.trim_ascii();
    (!line.is_empty()).then(|| line.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_across_pushes() {
        let mut dec = NdjsonDecoder::new();
        assert!(dec.push(b"{\"a\":").expect("ok").is_empty());
        let lines = dec.push(b"1}\r\n\n{\"b\":2}\n{\"c\"").expect("ok");
        assert_eq!(lines, vec![b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]);
        assert_eq!(dec.push(b":3}").expect("ok"), Vec::<Vec<u8>>::new());
        assert_eq!(dec.finish(), Some(b"{\"c\":3}".to_vec()));
        assert_eq!(dec.finish(), None);
    }

    #[test]
    fn a_line_without_end_is_capped() {
        let mut dec = NdjsonDecoder::new();
        let piece = vec![b'x'; 1024 * 1024];
        let mut failed = false;
        for _ in 0..9 {
            if dec.push(&piece) == Err(NdjsonError::TooLarge) {
                failed = true;
                break;
            }
        }
        assert!(failed);
    }

    #[test]
    fn fixture_stream_byte_by_byte() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/providers/ollama/"
        );
        let body = std::fs::read(format!("{dir}chat-stream.ndjson")).expect("fixture");
        let mut dec = NdjsonDecoder::new();
        let mut lines = Vec::new();
        for b in &body {
            lines.extend(dec.push(std::slice::from_ref(b)).expect("ok"));
        }
        lines.extend(dec.finish());
        assert_eq!(
            lines.len(),
            body.split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .count()
        );
        assert!(
            lines
                .iter()
                .all(|l| serde_json::from_slice::<serde_json::Value>(l).is_ok())
        );
    }
}
