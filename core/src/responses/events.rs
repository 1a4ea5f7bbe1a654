//! Chat chunks as Responses events, in OpenAI's order: `response.created`,
//! `response.in_progress`, then each output item opened, filled and closed (reasoning, message,
//! function calls, in the order the chunks bring them), then one terminal event holding the
//! whole response. A pure state machine: the stream around it only feeds it.

use modelgate::v1::{
    ChatCompletionChunk, Delta, OutputItem, ResponseEvent, ResponseObject, ResponsePart,
    ResponseUsage, ToolCall, Usage,
};

use super::ids;

/// The content part of the open message that deltas go to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PartKind {
    Text,
    Refusal,
}

/// The output item being filled; it is always the last of `Translator::output`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Reasoning,
    Message(Option<PartKind>),
    Call,
}

/// Translation state of one answer.
pub struct Translator {
    /// False: only the terminal event is written (a non-streamed request).
    stream: bool,
    id: String,
    model: String,
    model_named: bool,
    created_at: i64,
    started: bool,
    sequence: u64,
    output: Vec<OutputItem>,
    open: Option<Open>,
    /// Chat tool call index → position of its item in `output`.
    calls: Vec<(u32, usize)>,
    usage: Option<Usage>,
    finish_reason: Option<String>,
    events: Vec<ResponseEvent>,
}

impl Translator {
    /// State for the answer to a request for `model` (the name until a chunk gives the
    /// upstream's); `stream` false keeps only the terminal event.
    pub fn new(model: &str, stream: bool) -> Self {
        Self {
            stream,
            id: ids::fresh("resp"),
            model: model.to_owned(),
            model_named: false,
            created_at: now(),
            started: false,
            sequence: 0,
            output: Vec::new(),
            open: None,
            calls: Vec::new(),
            usage: None,
            finish_reason: None,
            events: Vec::new(),
        }
    }

    /// The events one chunk brings.
    pub fn chunk(&mut self, chunk: &ChatCompletionChunk) -> Vec<ResponseEvent> {
        if !self.model_named && !chunk.model.is_empty() {
            chunk.model.clone_into(&mut self.model);
            self.model_named = true;
        }
        if !self.started && chunk.created > 0 {
            self.created_at = chunk.created;
        }
        self.start();
        if let Some(usage) = &chunk.usage {
            self.usage = Some(*usage);
        }
        // Responses has one answer: the first choice (modelgate never asks for `n`).
        for choice in chunk.choices.iter().filter(|c| c.index == 0) {
            if let Some(delta) = &choice.delta {
                self.delta(delta);
            }
            if let Some(reason) = &choice.finish_reason {
                self.finish_reason = Some(reason.clone());
            }
        }
        std::mem::take(&mut self.events)
    }

    /// The events that end the answer once the chunks have ended: the open item closed, and
    /// `response.completed` (or `response.incomplete`) with the whole response.
    pub fn finish(&mut self) -> Vec<ResponseEvent> {
        self.start();
        let incomplete = match self.finish_reason.as_deref() {
            Some("length") => Some("max_output_tokens"),
            Some("content_filter") => Some("content_filter"),
            _ => None,
        };
        let status = if incomplete.is_some() {
            "incomplete"
        } else {
            "completed"
        };
        self.close(status);
        let mut response = self.response(status);
        response.output = self.output.clone();
        response.usage = self.usage.map(|u| response_usage(&u));
        response.incomplete_reason = incomplete.map(str::to_owned);
        let kind = if incomplete.is_some() {
            "response.incomplete"
        } else {
            "response.completed"
        };
        self.emit(ResponseEvent {
            response: Some(response),
            ..event(kind)
        });
        std::mem::take(&mut self.events)
    }

    fn start(&mut self) {
        if self.started {
            return;
        }
        self.started = true;
        for kind in ["response.created", "response.in_progress"] {
            let response = self.response("in_progress");
            self.emit(ResponseEvent {
                response: Some(response),
                ..event(kind)
            });
        }
    }

    fn response(&self, status: &str) -> ResponseObject {
        ResponseObject {
            id: self.id.clone(),
            created_at: self.created_at,
            status: status.into(),
            model: self.model.clone(),
            ..Default::default()
        }
    }

    fn delta(&mut self, delta: &Delta) {
        if let Some(text) = delta.reasoning_content.as_deref().filter(|t| !t.is_empty()) {
            self.reasoning(text);
        }
        if let Some(text) = delta.content.as_deref().filter(|t| !t.is_empty()) {
            self.message_delta(PartKind::Text, text);
        }
        if let Some(text) = delta.refusal.as_deref().filter(|t| !t.is_empty()) {
            self.message_delta(PartKind::Refusal, text);
        }
        for call in &delta.tool_calls {
            self.call(call);
        }
    }

    fn reasoning(&mut self, text: &str) {
        if self.open != Some(Open::Reasoning) {
            self.close("completed");
            self.open_item(OutputItem {
                r#type: "reasoning".into(),
                id: ids::fresh("rs"),
                ..Default::default()
            });
            self.open = Some(Open::Reasoning);
            let part = summary_part(String::new());
            self.emit(ResponseEvent {
                summary_index: Some(0),
                part: Some(part.clone()),
                ..self.item_event("response.reasoning_summary_part.added")
            });
            if let Some(item) = self.output.last_mut() {
                item.summary.push(part);
            }
        }
        if let Some(part) = self.output.last_mut().and_then(|i| i.summary.last_mut()) {
            part.text.get_or_insert_default().push_str(text);
        }
        self.emit(ResponseEvent {
            summary_index: Some(0),
            delta: Some(text.to_owned()),
            ..self.item_event("response.reasoning_summary_text.delta")
        });
    }

    fn message_delta(&mut self, kind: PartKind, text: &str) {
        if !matches!(self.open, Some(Open::Message(_))) {
            self.close("completed");
            self.open_item(OutputItem {
                r#type: "message".into(),
                id: ids::fresh("msg"),
                status: Some("in_progress".into()),
                role: Some("assistant".into()),
                ..Default::default()
            });
            self.open = Some(Open::Message(None));
        }
        if self.open != Some(Open::Message(Some(kind))) {
            self.close_part();
            let part = match kind {
                PartKind::Text => ResponsePart {
                    r#type: "output_text".into(),
                    text: Some(String::new()),
                    ..Default::default()
                },
                PartKind::Refusal => ResponsePart {
                    r#type: "refusal".into(),
                    refusal: Some(String::new()),
                    ..Default::default()
                },
            };
            self.emit(ResponseEvent {
                content_index: Some(self.content_index(0)),
                part: Some(part.clone()),
                ..self.item_event("response.content_part.added")
            });
            if let Some(item) = self.output.last_mut() {
                item.content.push(part);
            }
            self.open = Some(Open::Message(Some(kind)));
        }
        if let Some(part) = self.output.last_mut().and_then(|i| i.content.last_mut()) {
            let field = match kind {
                PartKind::Text => &mut part.text,
                PartKind::Refusal => &mut part.refusal,
            };
            field.get_or_insert_default().push_str(text);
        }
        let name = match kind {
            PartKind::Text => "response.output_text.delta",
            PartKind::Refusal => "response.refusal.delta",
        };
        self.emit(ResponseEvent {
            content_index: Some(self.content_index(1)),
            delta: Some(text.to_owned()),
            ..self.item_event(name)
        });
    }

    fn call(&mut self, call: &ToolCall) {
        let known = self
            .calls
            .iter()
            .find(|(i, _)| *i == call.index)
            .map(|c| c.1);
        let Some(position) = known else {
            self.close("completed");
            self.open_item(OutputItem {
                r#type: "function_call".into(),
                id: ids::fresh("fc"),
                status: Some("in_progress".into()),
                call_id: Some(
                    call.id
                        .clone()
                        .filter(|id| !id.is_empty())
                        .unwrap_or_else(|| ids::fresh("call")),
                ),
                name: Some(call.name.clone().unwrap_or_default()),
                arguments: Some(String::new()),
                ..Default::default()
            });
            self.calls.push((call.index, self.output.len() - 1));
            self.open = Some(Open::Call);
            self.arguments(&call.arguments);
            return;
        };
        if self.open == Some(Open::Call) && position + 1 == self.output.len() {
            self.arguments(&call.arguments);
        } else if let Some(item) = self.output.get_mut(position) {
            // A fragment for a call already closed (no upstream interleaves calls): the
            // final response still holds it whole.
            tracing::debug!(index = call.index, "responses: late tool call fragment");
            item.arguments
                .get_or_insert_default()
                .push_str(&call.arguments);
        }
    }

    fn arguments(&mut self, piece: &str) {
        if piece.is_empty() {
            return;
        }
        if let Some(item) = self.output.last_mut() {
            item.arguments.get_or_insert_default().push_str(piece);
        }
        self.emit(ResponseEvent {
            delta: Some(piece.to_owned()),
            ..self.item_event("response.function_call_arguments.delta")
        });
    }

    /// Closes the open item with `status` (items that end with the answer share its status).
    fn close(&mut self, status: &str) {
        let Some(open) = self.open.take() else {
            return;
        };
        match open {
            Open::Reasoning => {
                let part = self
                    .output
                    .last()
                    .and_then(|i| i.summary.last())
                    .cloned()
                    .unwrap_or_default();
                self.emit(ResponseEvent {
                    summary_index: Some(0),
                    text: Some(part.text.clone().unwrap_or_default()),
                    ..self.item_event("response.reasoning_summary_text.done")
                });
                self.emit(ResponseEvent {
                    summary_index: Some(0),
                    part: Some(part),
                    ..self.item_event("response.reasoning_summary_part.done")
                });
            }
            Open::Message(part) => {
                self.open = Some(Open::Message(part));
                self.close_part();
                self.open = None;
                self.set_status(status);
            }
            Open::Call => {
                let arguments = self
                    .output
                    .last()
                    .and_then(|i| i.arguments.clone())
                    .unwrap_or_default();
                self.emit(ResponseEvent {
                    arguments: Some(arguments),
                    ..self.item_event("response.function_call_arguments.done")
                });
                self.set_status(status);
            }
        }
        let item = self.output.last().cloned();
        self.emit(ResponseEvent {
            output_index: Some(self.output_index()),
            item,
            ..event("response.output_item.done")
        });
    }

    fn set_status(&mut self, status: &str) {
        if let Some(item) = self.output.last_mut() {
            item.status = Some(status.into());
        }
    }

    /// Closes the open message's open content part.
    fn close_part(&mut self) {
        let Some(Open::Message(Some(kind))) = self.open else {
            return;
        };
        self.open = Some(Open::Message(None));
        let part = self
            .output
            .last()
            .and_then(|i| i.content.last())
            .cloned()
            .unwrap_or_default();
        let done = match kind {
            PartKind::Text => ResponseEvent {
                text: Some(part.text.clone().unwrap_or_default()),
                ..event("response.output_text.done")
            },
            PartKind::Refusal => ResponseEvent {
                refusal: Some(part.refusal.clone().unwrap_or_default()),
                ..event("response.refusal.done")
            },
        };
        let index = Some(self.content_index(1));
        self.emit(ResponseEvent {
            content_index: index,
            ..self.for_item(done)
        });
        self.emit(ResponseEvent {
            content_index: index,
            part: Some(part),
            ..self.item_event("response.content_part.done")
        });
    }

    fn open_item(&mut self, item: OutputItem) {
        self.output.push(item.clone());
        self.emit(ResponseEvent {
            output_index: Some(self.output_index()),
            item: Some(item),
            ..event("response.output_item.added")
        });
    }

    /// Position of the open item.
    fn output_index(&self) -> u32 {
        u32::try_from(self.output.len().saturating_sub(1)).unwrap_or(u32::MAX)
    }

    /// Position of the open message's next part (`counted` 0) or of its last (1).
    fn content_index(&self, counted: usize) -> u32 {
        let parts = self.output.last().map_or(0, |i| i.content.len());
        u32::try_from(parts.saturating_sub(counted)).unwrap_or(u32::MAX)
    }

    /// An event of `kind` about the open item.
    fn item_event(&self, kind: &str) -> ResponseEvent {
        self.for_item(event(kind))
    }

    fn for_item(&self, event: ResponseEvent) -> ResponseEvent {
        ResponseEvent {
            item_id: self.output.last().map(|i| i.id.clone()),
            output_index: Some(self.output_index()),
            ..event
        }
    }

    fn emit(&mut self, mut event: ResponseEvent) {
        let terminal =
            event.r#type == "response.completed" || event.r#type == "response.incomplete";
        if !self.stream && !terminal {
            return;
        }
        event.sequence_number = self.sequence;
        self.sequence += 1;
        self.events.push(event);
    }
}

fn event(kind: &str) -> ResponseEvent {
    ResponseEvent {
        r#type: kind.into(),
        ..Default::default()
    }
}

fn summary_part(text: String) -> ResponsePart {
    ResponsePart {
        r#type: "summary_text".into(),
        text: Some(text),
        ..Default::default()
    }
}

fn response_usage(usage: &Usage) -> ResponseUsage {
    ResponseUsage {
        input_tokens: usage.prompt_tokens,
        output_tokens: usage.completion_tokens,
        total_tokens: if usage.total_tokens == 0 {
            usage.prompt_tokens.saturating_add(usage.completion_tokens)
        } else {
            usage.total_tokens
        },
        cached_tokens: usage.cached_tokens,
        reasoning_tokens: usage.reasoning_tokens,
        extra: None,
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}
