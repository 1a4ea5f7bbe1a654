//! Field formatting of the human-readable log. Values can hold what a client sent (a model
//! name, an upstream error echoing it), so every value is written so that it cannot end
//! the record or pass for another field: the message with its control characters escaped,
//! other values bare when they are one plain word, else quoted in Rust's `escape_debug`
//! style (`model=".\n.model=FORGED"`). Doing it here covers every field of every event
//! and span by construction. (The JSON format escapes on its own.)

use std::fmt;

use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;

/// The [`FormatFields`] of the text log.
#[derive(Debug, Clone, Copy, Default)]
pub struct EscapedFields;

impl<'w> FormatFields<'w> for EscapedFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut visitor = Escaping {
            writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct Escaping<'w> {
    writer: Writer<'w>,
    first: bool,
    result: fmt::Result,
}

impl Escaping<'_> {
    fn write(&mut self, field: &Field, value: &str) {
        if self.result.is_err() {
            return;
        }
        self.result = self.try_write(field, value);
    }

    fn try_write(&mut self, field: &Field, value: &str) -> fmt::Result {
        if !self.first {
            self.writer.write_char(' ')?;
        }
        self.first = false;
        let name = field.name();
        if name == "message" {
            return write_escaped_controls(&mut self.writer, value);
        }
        let name = name.strip_prefix("r#").unwrap_or(name);
        write!(self.writer, "{name}=")?;
        write_value(&mut self.writer, value)
    }
}

impl Visit for Escaping<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.write(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        self.write(field, &text);
    }
}

/// One plain word as it is; anything else quoted and escaped.
pub fn write_value(out: &mut impl fmt::Write, value: &str) -> fmt::Result {
    if !value.is_empty() && value.chars().all(is_plain) {
        return out.write_str(value);
    }
    write!(out, "\"{}\"", value.escape_debug())
}

/// `text` with its control characters (line ends, tabs, escape codes) escaped.
pub fn write_escaped_controls(out: &mut impl fmt::Write, text: &str) -> fmt::Result {
    for c in text.chars() {
        if c.is_control() {
            // `\n`, `\t`, `\u{1b}`: never the character itself.
            if c.escape_debug().next() == Some('\\') {
                write!(out, "{}", c.escape_debug())?;
            } else {
                write!(out, "{}", c.escape_unicode())?;
            }
        } else {
            out.write_char(c)?;
        }
    }
    Ok(())
}

fn is_plain(c: char) -> bool {
    !c.is_control() && !c.is_whitespace() && !matches!(c, '"' | '=' | '\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> String {
        let mut out = String::new();
        write_value(&mut out, text).expect("write");
        out
    }

    fn message(text: &str) -> String {
        let mut out = String::new();
        write_escaped_controls(&mut out, text).expect("write");
        out
    }

    #[test]
    fn client_text_cannot_end_the_line_or_forge_a_field() {
        assert_eq!(value("gpt-4o"), "gpt-4o");
        assert_eq!(
            value("x\n2026-01-01T00:00:00Z INFO model=FORGED status=200"),
            r#""x\n2026-01-01T00:00:00Z INFO model=FORGED status=200""#
        );
        assert_eq!(value("a status=200"), r#""a status=200""#);
        assert_eq!(value("say \"hi\""), r#""say \"hi\"""#);
        assert_eq!(value(""), r#""""#);
        assert_eq!(value("\u{1b}[31m"), r#""\u{1b}[31m""#);
        assert_eq!(message("failed\r\nok\ttab"), r"failed\r\nok\ttab");
        assert_eq!(message("bell\u{7}"), r"bell\u{7}");
        for text in ["\n", "\r", "\u{85}", "\u{2028}", "a\u{0}b"] {
            assert!(!value(text).contains(['\n', '\r', '\u{85}', '\u{2028}', '\0']));
            assert!(!message(text).contains(['\n', '\r', '\u{85}', '\0']));
        }
    }
}
