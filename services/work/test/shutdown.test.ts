import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { INTERNAL_HEADER, dropDatabase, signInternalCaller } from '@opsgraph/core';
import { people } from '@opsgraph/testing';

/**
 * A real Work process: SIGTERM while requests are in flight lets them finish, then the process exits
 * cleanly (server closed, background work stopped, pool closed); a second start on the same database
 * migrates nothing twice and serves again.
 */
const ROOT = path.join(__dirname, '..', '..', '..');
const prefix = `shutdown${process.pid}`;
const port = 46_000 + (process.pid % 1000);

function startProcess() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/work/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, OPSGRAPH_DB_PREFIX: prefix, OPSGRAPH_WORK_PORT: String(port), LOG_LEVEL: 'warn', NODE_ENV: 'test' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

async function ready(timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok).catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('work did not become ready');
}

const query = async (q: string) =>
  fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [INTERNAL_HEADER]: await signInternalCaller(people.admin) },
    body: JSON.stringify({ query: q }),
  }).then((r) => r.json() as Promise<{ data?: any; errors?: unknown[] }>);

afterAll(() => dropDatabase(`${prefix}_work`));

test('SIGTERM: in-flight requests finish, the process exits 0, and it starts cleanly again', async () => {
  const first = startProcess();
  await ready();
  expect((await query(`mutation { createSite(input: { code: "SIG", name: "Signals" }) { code } }`)).data.createSite.code).toBe('SIG');
  // A request in flight: headers and half the body sent before SIGTERM, the rest after.
  const token = await signInternalCaller(people.admin);
  const body = JSON.stringify({ query: `{ sites { code areas { code } } }` });
  const answer = new Promise<any>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), [INTERNAL_HEADER]: token } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(JSON.parse(text)));
    });
    req.on('error', reject);
    req.write(body.slice(0, 10));
    setTimeout(() => {
      first.child.kill('SIGTERM');
      setTimeout(() => req.end(body.slice(10)), 300);
    }, 200);
  });
  expect((await answer).data.sites).toEqual([{ code: 'SIG', areas: [] }]);
  // New connections are refused once shutdown began.
  await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  expect(await first.exited).toBe(0);
  expect(first.stderr()).not.toMatch(/Error/);

  const second = startProcess();
  try {
    await ready();
    expect((await query(`{ sites { code } }`)).data.sites).toEqual([{ code: 'SIG' }]);
  } finally {
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }
}, 120_000);
