// What a `/v1/responses` answer must hold, read from the recording the mock replayed for it: the
// Responses recordings the mock's source table (mock-upstream/SOURCES.md) names on its
// `openai-responses` and `azure-responses` routes, each other provider's chat recording, streamed
// or not as modelgate asked upstream.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, REPO_ROOT } from './gateway.mjs';

/** Providers whose own Responses API answers (the others are translated onto chat), and the
 * mock's source-table route for that API. */
const PASS_THROUGH = { mock: 'openai-responses', azure: 'azure-responses' };

// The Responses recordings live in the mock's crate (`mock-upstream/recordings/…`, named from the
// repository root); the rest in the shared fixtures folder.
const read = (path) => readFileSync(path.startsWith('mock-upstream/') ? join(REPO_ROOT, path) : join(FIXTURES, path), 'utf8');
const json = (relative) => JSON.parse(read(relative));
/** `data:` payloads of an SSE recording (CRLF or LF), `[DONE]` left out. */
const sse = (relative) =>
  read(relative)
    .replaceAll('\r\n', '\n')
    .split('\n')
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).trim())
    .filter((d) => d && d !== '[DONE]')
    .map((d) => JSON.parse(d));
const jsonl = (relative) =>
  read(relative)
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

/** Whether modelgate asked the provider for a stream (each API says so its own way). */
export function upstreamStreamed(provider, record) {
  const body = record.body ?? {};
  if (provider === 'gemini') return record.path.includes('streamGenerateContent');
  if (provider === 'ollama') return body.stream !== false;
  return body.stream === true;
}

/** The files mock-upstream/SOURCES.md names for an answer (an unlisted model falls back to `text`). */
export function sourceFiles(route, request, model, stream) {
  const rows = readFileSync(join(REPO_ROOT, 'mock-upstream', 'SOURCES.md'), 'utf8')
    .split('\n')
    .map((line) => line.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim()))
    .filter((cells) => cells.length === 7 && cells[0] === route && cells[1] === request);
  const find = (m) => {
    const row = rows.find((c) => c[2] === `\`${m}\`` && (c[3] === 'either' || c[3] === (stream ? 'yes' : 'no')));
    return row ? [...row[6].split(';')[0].matchAll(/`([^`]+)`/g)].map((x) => x[1]) : undefined;
  };
  const files = find(model) ?? find('text');
  if (!files?.length) throw new Error(`SOURCES.md names no file for ${route} ${request} ${model} stream=${stream}`);
  return files;
}

/** A Responses stream recording's events: `.chunks.jsonl` (one `data:` per line) or SSE. */
const responsesEvents = (path) => (path.endsWith('.jsonl') ? jsonl(path) : sse(path));

function responsesFinal(relative, streamed) {
  if (!streamed) return json(relative);
  const done = responsesEvents(relative).filter((e) => e.type === 'response.completed' || e.type === 'response.incomplete');
  if (!done.length) throw new Error(`${relative} has no response.completed event`);
  return done.at(-1).response;
}

function responsesText(relative, streamed) {
  const final = responsesFinal(relative, streamed);
  const text = streamed
    ? responsesEvents(relative)
        .filter((e) => e.type === 'response.output_text.delta')
        .map((e) => e.delta)
        .join('')
    : final.output
        .filter((i) => i.type === 'message')
        .flatMap((i) => i.content)
        .filter((p) => p.type === 'output_text')
        .map((p) => p.text)
        .join('');
  return { text, input: final.usage.input_tokens, output: final.usage.output_tokens };
}

const anthropicPrompt = (u) =>
  ['input_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'].reduce((n, k) => n + (u[k] ?? 0), 0);

function openaiChunksText(chunks) {
  const usage = chunks.filter((c) => c.usage).at(-1).usage;
  const text = chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
  return { text, input: usage.prompt_tokens, output: usage.completion_tokens };
}

function openaiCompletionText(relative) {
  const body = json(relative);
  return { text: body.choices[0].message.content, input: body.usage.prompt_tokens, output: body.usage.completion_tokens };
}

function chatText(provider, streamed) {
  if (provider === 'mock')
    return streamed ? openaiChunksText(sse('openai/chat-stream-text-include-usage.sse')) : openaiCompletionText('openai/chat-completion-text.json');
  if (provider === 'azure')
    return streamed
      ? openaiChunksText(jsonl('azure/chat-stream-model-router.chunks.jsonl'))
      : openaiCompletionText('azure/chat-completion-content-filter-results.json');
  if (provider === 'anthropic') {
    if (!streamed) {
      const body = json('anthropic/messages-text.json');
      const text = body.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
      return { text, input: anthropicPrompt(body.usage), output: body.usage.output_tokens };
    }
    const events = sse('anthropic/messages-stream-text.sse');
    const text = events
      .filter((e) => e.type === 'content_block_delta' && e.delta.type === 'text_delta')
      .map((e) => e.delta.text)
      .join('');
    const start = events.find((e) => e.type === 'message_start').message.usage;
    const output = events.filter((e) => e.type === 'message_delta').at(-1).usage.output_tokens;
    return { text, input: anthropicPrompt(start), output };
  }
  if (provider === 'gemini') {
    const answers = streamed ? sse('gemini/stream-text.sse') : [json('gemini/generate-content-text.json')];
    const text = answers
      .flatMap((e) => e.candidates ?? [])
      .flatMap((c) => c.content.parts)
      .filter((p) => !p.thought)
      .map((p) => p.text ?? '')
      .join('');
    const usage = answers.at(-1).usageMetadata;
    return { text, input: usage.promptTokenCount, output: (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0) };
  }
  if (streamed) {
    const lines = jsonl('ollama/chat-stream.ndjson');
    const text = lines.filter((l) => l.message).map((l) => l.message.content).join('');
    return { text, input: lines.at(-1).prompt_eval_count, output: lines.at(-1).eval_count };
  }
  // The mock's non-streamed Ollama text is a docs example kept in its source (no capture exists).
  const source = readFileSync(join(REPO_ROOT, 'mock-upstream', 'src', 'native', 'ollama.rs'), 'utf8');
  const body = JSON.parse(source.match(/DOCS_CHAT_NO_STREAM: &str = r#"([\s\S]*?)"#;/)[1]);
  return { text: body.message.content, input: body.prompt_eval_count, output: body.eval_count };
}

function chatCall(provider, streamed) {
  if (provider === 'mock' || provider === 'azure') {
    if (!streamed) {
      const call = json('openai/chat-completion-tool-calls.json').choices[0].message.tool_calls[0];
      return { name: call.function.name, arguments: JSON.parse(call.function.arguments), callId: call.id };
    }
    const frags = sse('openai/chat-stream-tool-call-args-usage.sse').flatMap((c) => c.choices?.[0]?.delta?.tool_calls ?? []);
    const first = frags.find((f) => f.id);
    const args = frags.filter((f) => f.index === first.index).map((f) => f.function?.arguments ?? '').join('');
    return { name: first.function.name, arguments: JSON.parse(args), callId: first.id };
  }
  if (provider === 'anthropic') {
    if (!streamed) {
      const block = json('anthropic/messages-parallel-tool-use.json').content.find((b) => b.type === 'tool_use');
      return { name: block.name, arguments: block.input, callId: block.id };
    }
    const events = sse('anthropic/messages-stream-tool-use.sse');
    const start = events.find((e) => e.type === 'content_block_start' && e.content_block.type === 'tool_use');
    const args = events
      .filter((e) => e.type === 'content_block_delta' && e.index === start.index)
      .map((e) => e.delta.partial_json)
      .join('');
    return { name: start.content_block.name, arguments: JSON.parse(args || '{}'), callId: start.content_block.id };
  }
  if (provider === 'gemini') {
    const answers = streamed ? sse('gemini/stream-function-call-single-chunk.sse') : [json('gemini/generate-content-function-call.json')];
    const call = answers
      .flatMap((e) => e.candidates)
      .flatMap((c) => c.content.parts)
      .find((p) => p.functionCall).functionCall;
    return { name: call.name, arguments: call.args, callId: call.id };
  }
  const message = json(streamed ? 'ollama/chat-stream-tool-calls.docs.chunk.json' : 'ollama/chat-tool-calls-thinking.json').message;
  const call = message.tool_calls[0];
  return { name: call.function.name, arguments: call.function.arguments, callId: call.id };
}

/** Text and token counts of the mock's answer to `record` (a `text` model). */
export function expectedText(provider, record) {
  const streamed = upstreamStreamed(provider, record);
  if (provider in PASS_THROUGH) return responsesText(sourceFiles(PASS_THROUGH[provider], 'responses', 'text', streamed)[0], streamed);
  return chatText(provider, streamed);
}

/** The function call in the mock's answer to `record` (a `tools` model); `callId` undefined when
 * the recording has none (Gemini) and modelgate makes one up. */
export function expectedCall(provider, record) {
  const streamed = upstreamStreamed(provider, record);
  if (provider in PASS_THROUGH) {
    const final = responsesFinal(sourceFiles(PASS_THROUGH[provider], 'responses', 'tools', streamed)[0], streamed);
    const item = final.output.find((i) => i.type === 'function_call');
    return { name: item.name, arguments: JSON.parse(item.arguments), callId: item.call_id };
  }
  return chatCall(provider, streamed);
}
