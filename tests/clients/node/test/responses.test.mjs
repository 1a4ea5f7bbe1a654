// OpenAI's Responses API through the openai npm SDK v4 against `modelgate serve`: one script for
// every provider kind (OpenAI and Azure pass through, the others are translated onto chat).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { CLIENT_KEY, startStack } from './gateway.mjs';
import { expectedCall, expectedText } from './responses-fixtures.mjs';

let stack;
let client;

before(async () => {
  stack = await startStack();
  client = new OpenAI({ baseURL: stack.baseURL, apiKey: CLIENT_KEY, maxRetries: 0, timeout: 10_000 });
});

after(() => stack?.stop());

const WEATHER_TOOL = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

/** The one request the mock received whose body mentions `marker`. */
async function upstreamRequest(marker) {
  const res = await fetch(`${stack.mockUrl}/__mock/requests`, { signal: AbortSignal.timeout(10_000) });
  const hits = (await res.json()).filter((r) => JSON.stringify(r.body).includes(marker));
  assert.equal(hits.length, 1, `expected one upstream request tagged ${marker}, got ${hits.length}`);
  return hits[0];
}

const marker = () => `marker-${randomUUID()}`;

for (const provider of ['mock', 'anthropic', 'gemini', 'ollama', 'azure']) {
  describe(`responses via ${provider}`, () => {
    test('not streamed: output_text and usage equal the recording', async () => {
      const tag = marker();
      const response = await client.responses.create({ model: `${provider}/text`, input: tag });
      const want = expectedText(provider, await upstreamRequest(tag));
      assert.equal(response.object, 'response');
      assert.equal(response.status, 'completed');
      assert.equal(response.output_text, want.text);
      assert.equal(response.usage?.input_tokens, want.input);
      assert.equal(response.usage?.output_tokens, want.output);
    });

    test('streamed: OpenAI event order, deltas join to the recording, usage last', async () => {
      const tag = marker();
      const stream = await client.responses.create({ model: `${provider}/text`, input: tag, stream: true });
      const events = [];
      for await (const event of stream) events.push(event);
      const want = expectedText(provider, await upstreamRequest(tag));
      const types = events.map((e) => e.type);
      assert.deepEqual(types.slice(0, 2), ['response.created', 'response.in_progress']);
      assert.equal(types.at(-1), 'response.completed');
      const firstDelta = types.indexOf('response.output_text.delta');
      assert.ok(firstDelta > 0, `no text delta: ${types}`);
      const item = events[firstDelta].item_id;
      const added = events.findIndex((e) => e.type === 'response.output_item.added' && e.item.id === item);
      assert.ok(added >= 0 && added < firstDelta, `output_item.added after its first delta: ${types}`);
      const text = events
        .filter((e) => e.type === 'response.output_text.delta')
        .map((e) => e.delta)
        .join('');
      assert.equal(text, want.text);
      const final = events.at(-1).response;
      assert.equal(final.status, 'completed');
      assert.equal(final.usage?.input_tokens, want.input);
      assert.equal(final.usage?.output_tokens, want.output);
    });

    test('responses.stream(): finalResponse() holds the recorded text', async () => {
      const tag = marker();
      const stream = client.responses.stream({ model: `${provider}/text`, input: tag });
      let text = '';
      stream.on('response.output_text.delta', (e) => {
        text += e.delta;
      });
      const final = await stream.finalResponse();
      const want = expectedText(provider, await upstreamRequest(tag));
      assert.equal(text, want.text);
      // v4's finalResponse() has no `output_text` (only create() adds it): read the message parts.
      const finalText = final.output
        .filter((i) => i.type === 'message')
        .flatMap((i) => i.content)
        .filter((p) => p.type === 'output_text')
        .map((p) => p.text)
        .join('');
      assert.equal(finalText, want.text);
      assert.equal(final.status, 'completed');
      assert.equal(final.usage?.output_tokens, want.output);
    });

    test('function call round trip: function_call item, then text after its output', async () => {
      const tag = marker();
      const question = `weather? ${tag}-call`;
      const first = await client.responses.create({ model: `${provider}/tools`, input: question, tools: [WEATHER_TOOL] });
      const want = expectedCall(provider, await upstreamRequest(`${tag}-call`));
      const call = first.output.find((i) => i.type === 'function_call');
      assert.ok(call, `no function_call in ${JSON.stringify(first.output)}`);
      assert.equal(call.name, want.name);
      assert.deepEqual(JSON.parse(call.arguments), want.arguments);
      assert.ok(call.call_id);
      if (want.callId) assert.equal(call.call_id, want.callId);

      const result = `24C and sunny ${tag}-result`;
      const second = await client.responses.create({
        model: `${provider}/text`,
        tools: [WEATHER_TOOL],
        input: [
          { role: 'user', content: question },
          { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
          { type: 'function_call_output', call_id: call.call_id, output: result },
        ],
      });
      const record = await upstreamRequest(`${tag}-result`);
      assert.equal(second.output_text, expectedText(provider, record).text);
      const upstream = JSON.stringify(record.body);
      assert.ok(upstream.includes(call.name) && upstream.includes(result), upstream);
    });
  });
}

test('a built-in tool on an Anthropic model is a 400 unsupported_by_provider', async () => {
  await assert.rejects(
    client.responses.create({ model: 'anthropic/text', input: 'search', tools: [{ type: 'web_search' }] }),
    (err) => {
      assert.ok(err instanceof OpenAI.BadRequestError, `got ${err?.constructor?.name}: ${err?.message}`);
      assert.equal(err.status, 400);
      assert.equal(err.code, 'unsupported_by_provider');
      return true;
    },
  );
});
