// The openai npm SDK v4 (what LobeChat uses) against `modelgate serve`.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { CLIENT_KEY, assembleToolCalls, fixtureJson, fixtureSse, startStack } from './gateway.mjs';

let stack;
let client;

before(async () => {
  stack = await startStack();
  // maxRetries 0: a retried 429/5xx would hide the gateway's first answer.
  client = new OpenAI({ baseURL: stack.baseURL, apiKey: CLIENT_KEY, maxRetries: 0, timeout: 10_000 });
});

after(() => stack?.stop());

const HI = [{ role: 'user', content: 'hi' }];

test('models.list returns the configured models and no wildcard', async () => {
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  for (const id of ['gpt-4o-alias', 'mock/text', 'mock/tools']) assert.ok(ids.includes(id), `${id} missing in ${ids}`);
  assert.equal(ids.filter((id) => id.includes('*')).length, 0);
});

test('streamed chat with include_usage: content equals the fixture, then a usage chunk', async () => {
  const recorded = fixtureSse('openai/chat-stream-text-include-usage.sse');
  const expectedText = recorded.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  const expectedUsage = recorded.findLast((c) => c.usage).usage;

  const stream = await client.chat.completions.create({
    model: 'mock/text',
    messages: HI,
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);

  assert.equal(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''), expectedText);
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.equal(last.usage?.prompt_tokens, expectedUsage.prompt_tokens);
  assert.equal(last.usage?.completion_tokens, expectedUsage.completion_tokens);
  assert.equal(last.usage?.total_tokens, expectedUsage.total_tokens);
});

test('non-streamed chat equals the fixture', async () => {
  const recorded = fixtureJson('openai/chat-completion-text.json');
  const completion = await client.chat.completions.create({ model: 'gpt-4o-alias', messages: HI });
  assert.equal(completion.choices[0].message.content, recorded.choices[0].message.content);
  assert.equal(completion.usage?.total_tokens, recorded.usage.total_tokens);
});

test('streamed tool call reassembles to the fixture', async () => {
  const expected = assembleToolCalls(
    fixtureSse('openai/chat-stream-tool-call-args-usage.sse').map((c) => c.choices[0]?.delta ?? {}),
  );
  const stream = await client.chat.completions.create({
    model: 'mock/tools',
    messages: [{ role: 'user', content: 'weather?' }],
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const deltas = [];
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta;
    if (!delta) continue;
    // LobeChat reads `function` on every tool-call delta.
    for (const call of delta.tool_calls ?? []) assert.ok(call.function, 'tool-call delta without function');
    deltas.push(delta);
  }
  const calls = assembleToolCalls(deltas);
  assert.deepEqual([...calls.keys()], [0]);
  assert.equal(calls.get(0).id, expected.get(0).id);
  assert.equal(calls.get(0).name, expected.get(0).name);
  assert.deepEqual(JSON.parse(calls.get(0).arguments), JSON.parse(expected.get(0).arguments));
});

test('a wrong key raises AuthenticationError (401, invalid_api_key)', async () => {
  const bad = new OpenAI({ baseURL: stack.baseURL, apiKey: 'sk-wrong-key', maxRetries: 0, timeout: 10_000 });
  await assert.rejects(bad.chat.completions.create({ model: 'mock/text', messages: HI }), (err) => {
    assert.ok(err instanceof OpenAI.AuthenticationError, `got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.status, 401);
    assert.equal(err.code, 'invalid_api_key');
    return true;
  });
});

test('an unknown model raises NotFoundError with model_not_found', async () => {
  await assert.rejects(client.chat.completions.create({ model: 'nope/x', messages: HI, stream: true }), (err) => {
    assert.ok(err instanceof OpenAI.NotFoundError, `got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.code, 'model_not_found');
    return true;
  });
});
