// Starts mock-upstream and `modelgate serve` for the tests, and reads the recorded provider data.
// Every wait has a deadline so a missing or stuck binary fails the run instead of hanging CI.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '..', '..', '..', '..');
const targetDir = process.env.CARGO_TARGET_DIR ?? join(REPO_ROOT, 'target');
export const MODELGATE_BIN = process.env.MODELGATE_BIN ?? join(targetDir, 'debug', 'modelgate');
export const MOCK_UPSTREAM_BIN = process.env.MOCK_UPSTREAM_BIN ?? join(targetDir, 'debug', 'mock-upstream');
export const FIXTURES = resolve(
  process.env.MODELGATE_FIXTURES ?? join(REPO_ROOT, '..', 'shared', 'fixtures', 'providers'),
);

export const CLIENT_KEY = 'sk-client-test';
export const PROVIDER_KEY = 'sk-provider-secret-123';
const STARTUP_TIMEOUT_MS = 30_000;

/** Spawns `argv` and resolves with the regex matches once every pattern has matched a stdout line. */
function startProcess(name, argv, patterns) {
  if (!existsSync(argv[0])) throw new Error(`${name}: binary ${argv[0]} not found (cargo build --workspace --bins?)`);
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-8000);
  });
  const found = new Array(patterns.length);
  const ready = new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name}: startup lines not seen within ${STARTUP_TIMEOUT_MS} ms\n${stderr}`));
    }, STARTUP_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} during startup\n${stderr}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      patterns.forEach((re, i) => {
        const m = found[i] ?? line.match(re);
        if (m) found[i] = m;
      });
      if (found.every(Boolean)) {
        clearTimeout(timer);
        resolvePromise(found);
      }
    });
  });
  return { child, ready };
}

function stop(child) {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}

async function waitReady(httpUrl) {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${httpUrl}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${httpUrl}/health/ready not 200 within ${STARTUP_TIMEOUT_MS} ms (last: ${last})`);
}

/** Starts the mock upstream and the gateway; `stop()` ends both. */
export async function startStack() {
  const children = [];
  const stopAll = () => [...children].reverse().forEach(stop);
  // Even if the runner exits without calling stop(), no child outlives it.
  process.once('exit', stopAll);
  try {
    const mock = startProcess(
      'mock-upstream',
      [MOCK_UPSTREAM_BIN, '--fixtures', FIXTURES, '--listen', '127.0.0.1:0'],
      [/mock-upstream listening on (\S+:\d+)/],
    );
    children.push(mock.child);
    const [[, mockAddr]] = await mock.ready;

    // JSON is valid YAML: the contract's config shape without a YAML library.
    const config = {
      auth: { keys: [{ name: 'tests', key: CLIENT_KEY, models: ['*'] }, { name: 'limited', key: 'sk-limited', models: ['mock/text'] }] },
      providers: {
        mock: { kind: 'openai', api_base: `http://${mockAddr}/v1`, api_key: PROVIDER_KEY, models: ['text', 'tools'] },
        // Native provider APIs, replayed by the mock under their own path prefixes.
        anthropic: { kind: 'anthropic', api_base: `http://${mockAddr}/anthropic`, api_key: PROVIDER_KEY, models: ['text'] },
        gemini: { kind: 'gemini', api_base: `http://${mockAddr}/gemini`, api_key: PROVIDER_KEY, models: ['text'] },
        ollama: { kind: 'ollama', api_base: `http://${mockAddr}/ollama`, api_key: PROVIDER_KEY, models: ['text'] },
        azure: { kind: 'azure', api_base: `http://${mockAddr}/azure`, api_key: PROVIDER_KEY, models: ['text'] },
      },
      model_list: [{ model_name: 'gpt-4o-alias', litellm_params: { model: 'mock/text' } }],
    };
    const configPath = join(mkdtempSync(join(tmpdir(), 'modelgate-node-')), 'modelgate.yaml');
    writeFileSync(configPath, JSON.stringify(config, null, 2));

    const gw = startProcess(
      'modelgate',
      [MODELGATE_BIN, 'serve', '--config', configPath, '--http', '127.0.0.1:0', '--grpc', '127.0.0.1:0'],
      [/modelgate: http listening on (\S+:\d+)/, /modelgate: grpc listening on (\S+:\d+)/],
    );
    children.push(gw.child);
    const [[, httpAddr]] = await gw.ready;
    const httpUrl = `http://${httpAddr}`;
    await waitReady(httpUrl);
    return { baseURL: `${httpUrl}/v1`, mockUrl: `http://${mockAddr}`, stop: stopAll };
  } catch (err) {
    stopAll();
    throw err;
  }
}

export function fixtureJson(relative) {
  return JSON.parse(readFileSync(join(FIXTURES, relative), 'utf8'));
}

/** JSON payloads of a recorded SSE stream's `data:` events, without `[DONE]`. */
export function fixtureSse(relative) {
  return readFileSync(join(FIXTURES, relative), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).trim())
    .filter((payload) => payload && payload !== '[DONE]')
    .map((payload) => JSON.parse(payload));
}

/** Tool calls rebuilt from streamed deltas by `index`, as OpenAI clients do. */
export function assembleToolCalls(deltas) {
  const calls = new Map();
  for (const delta of deltas) {
    for (const frag of delta.tool_calls ?? []) {
      const call = calls.get(frag.index) ?? { id: undefined, name: undefined, arguments: '' };
      if (frag.id) call.id = frag.id;
      if (frag.function?.name) call.name = frag.function.name;
      call.arguments += frag.function?.arguments ?? '';
      calls.set(frag.index, call);
    }
  }
  return calls;
}
