/**
 * The start command (`npm run up` → scripts/start.mjs), run for real: when one service dies the runner starts it
 * again with a backoff while the gateway and the other services keep serving, the events of the outage reach
 * the service once it is back, and a service that keeps dying stops everything (and leaves nothing running).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import { devToken, dropDatabase, postgresConfig } from '@opsgraph/core';
import { demoPeople } from '@opsgraph/testing';

const ROOT = path.resolve(__dirname, '..', '..');
const prefix = `uptest_${randomBytes(4).toString('hex')}`;
let runner: ChildProcess | undefined;
let output = '';

/** A port nothing listens on now (from the ephemeral range, so never one fetch refuses as unsafe). */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** Resolves with the first match of `pattern` in the runner's output after `from` (an offset in it). */
function printed(pattern: RegExp, from = 0, timeoutMs = 120_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const look = () => {
      const match = pattern.exec(output.slice(from));
      if (match) return resolve(match);
      if (Date.now() > deadline) return reject(new Error(`runner never printed ${pattern}; it printed:\n${output.slice(-4000)}`));
      setTimeout(look, 100);
    };
    look();
  });
}

async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not true after ${timeoutMs} ms; runner printed:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

afterAll(async () => {
  if (runner && runner.exitCode === null && runner.signalCode === null) {
    const exited = new Promise((r) => runner!.once('exit', r));
    runner.kill('SIGINT');
    await exited;
  }
  for (const db of ['work', 'permits', 'bus']) await dropDatabase(`${prefix}_${db}`);
});

test('a killed service comes back with every event of its outage while the others serve; one that keeps dying stops everything', async () => {
  const [gatewayPort, workPort, permitsPort] = [await freePort(), await freePort(), await freePort()];
  runner = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      OPSGRAPH_LOG_LEVEL: 'warn',
      OPSGRAPH_DB_PREFIX: prefix,
      OPSGRAPH_SERVICES: 'work,permits',
      OPSGRAPH_NO_DEMO: '1',
      // The embedded default: events over the Postgres bus.
      KAFKA_BROKERS: '',
      OPSGRAPH_KAFKA: '',
      OPSGRAPH_GATEWAY_PORT: String(gatewayPort),
      OPSGRAPH_WORK_PORT: String(workPort),
      OPSGRAPH_PERMITS_PORT: String(permitsPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  runner.stdout!.on('data', (chunk) => (output += chunk));
  runner.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => runner!.once('exit', (code) => resolve(code)));
  await printed(/\[opsgraph\] ready: gateway/);

  const token = await devToken(demoPeople.admin);
  const graph = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(`http://127.0.0.1:${gatewayPort}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
  };
  const createSite = async (code: string) => {
    const answer = await graph(`mutation($i: CreateSiteInput!) { createSite(input: $i) { id } }`, { i: { code, name: `Runner test ${code}` } });
    expect(answer.errors).toBeUndefined();
    return answer.data.createSite.id as string;
  };
  // What Permits knows of Work's registry comes only through events (its copy, known_location).
  const permitsKnows = async (id: string) => {
    const client = new Client({ ...postgresConfig(), database: `${prefix}_permits` });
    await client.connect();
    try {
      return (await client.query('SELECT 1 FROM known_location WHERE id = $1', [id])).rowCount === 1;
    } finally {
      await client.end();
    }
  };

  const before = await createSite('UPA');
  await eventually(async () => ((await permitsKnows(before)) ? true : undefined));

  const [, firstPid] = await printed(/permits started \(pid (\d+)\)/);
  let mark = output.length;
  process.kill(Number(firstPid), 'SIGKILL');
  await printed(/permits was killed \(SIGKILL\); restarting it in 1 s/, mark);
  // Permits is down: the gateway and Work still serve, and Work's events of the outage wait on the bus.
  const during = await createSite('UPB');
  const sites = await graph(`{ sites { code } }`);
  expect(sites.data.sites.map((s: { code: string }) => s.code)).toEqual(expect.arrayContaining(['UPA', 'UPB']));
  await printed(/permits is serving again/, mark);
  await eventually(async () => ((await permitsKnows(during)) ? true : undefined));
  expect(await permitsKnows(before)).toBe(true);

  // Four more deaths within the minute: the fifth crash gives up and stops everything, Work and the gateway too.
  for (let crash = 2; crash <= 5; crash++) {
    const [, pid] = await printed(/permits started \(pid (\d+)\)/, mark);
    mark = output.length;
    process.kill(Number(pid), 'SIGKILL');
    if (crash < 5) await printed(new RegExp(`crash ${crash};`), mark);
  }
  expect(await exited).toBe(1);
  expect(output).toMatch(/permits was killed \(SIGKILL\): 5 crashes within 60 s, giving up/);
  for (const port of [gatewayPort, workPort, permitsPort]) {
    const listening = await new Promise((resolve) => {
      const socket = net.connect({ port, host: '127.0.0.1' }, () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    expect(listening).toBe(false);
  }
}, 300_000);
