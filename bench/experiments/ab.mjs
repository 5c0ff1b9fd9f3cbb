// A/B on a noisy machine: two of our systems running side by side (each started with
// `node bench/run.mjs --keep --scenarios none --no-baseline --no-events --port-base N`, from two checkouts or
// with different settings), board load sent to each in alternating short slices, and the CPU of each
// system's eight processes per board request summed over the slices. Serial runs of the full benchmark on a
// shared 2-core VM drift by ±30 % between minutes; alternating slices see the same drift on both sides.
//
//   node bench/experiments/ab.mjs <gateway port A> <gateway port B> [rounds=8] [seconds=5]
//
// Run both systems with OPSGRAPH_PG_POOL=5 (two systems' pools must fit Postgres' max_connections). The board
// is the one of bench/.work/last-run.json; the caller a supervisor of every site (token signed with
// OPSGRAPH_JWT_SECRET, bench-jwt-secret by default as in run.mjs). Process ids come from `ss -ltnp`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';

const BENCH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [portA, portB, rounds = '8', seconds = '5'] = process.argv.slice(2);
if (!portA || !portB) throw new Error('usage: node bench/experiments/ab.mjs <gateway port A> <gateway port B> [rounds] [seconds]');
const { seed } = JSON.parse(readFileSync(path.join(BENCH, '.work', 'last-run.json'), 'utf8'));
const { BOARD } = (await import(path.join(BENCH, 'lib', 'queries.cjs'))).default;
const token = await new SignJWT({ name: 'A/B', roles: ['supervisor'], sites: ['*'] })
  .setProtectedHeader({ alg: 'HS256' })
  .setSubject('00000000-0000-4000-8000-0000000000ab')
  .setIssuer(process.env.OPSGRAPH_JWT_ISSUER ?? 'opsgraph-dev')
  .setAudience(process.env.OPSGRAPH_JWT_AUDIENCE ?? 'opsgraph')
  .setIssuedAt()
  .setExpirationTime('2h')
  .sign(new TextEncoder().encode(process.env.OPSGRAPH_JWT_SECRET ?? 'bench-jwt-secret'));

const listening = execFileSync('ss', ['-ltnp']).toString();
const pidOf = (port) => Number(new RegExp(`127\\.0\\.0\\.1:${port}\\s.*?pid=(\\d+)`).exec(listening)?.[1]);
const systems = Object.fromEntries([['A', portA], ['B', portB]].map(([name, port]) => [name, { port, pids: Array.from({ length: 8 }, (_, i) => pidOf(Number(port) + i)) }]));
for (const [name, s] of Object.entries(systems)) if (s.pids.some((p) => !p)) throw new Error(`system ${name}: not every port ${s.port}..${Number(s.port) + 7} is listening`);
const cpuMs = (pids) => pids.reduce((sum, pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return sum + (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 10 ms ticks
}, 0);

const totals = { A: { cpu: 0, requests: 0, p99: [] }, B: { cpu: 0, requests: 0, p99: [] } };
for (let round = 0; round < Number(rounds); round++) {
  for (const name of round % 2 ? ['B', 'A'] : ['A', 'B']) {
    const { port, pids } = systems[name];
    const config = { url: `http://127.0.0.1:${port}/graphql`, bodies: [{ query: BOARD, variables: { siteId: seed.board.siteId, areaId: seed.board.areaId, first: 50 } }], headers: { authorization: `Bearer ${token}` }, connections: 8, durationSeconds: Number(seconds) };
    const before = cpuMs(pids);
    const result = JSON.parse(execFileSync(process.execPath, [path.join(BENCH, 'lib', 'load.mjs'), JSON.stringify(config)]).toString().trim().split('\n').pop());
    const used = cpuMs(pids) - before;
    totals[name].cpu += used;
    totals[name].requests += result.requests;
    totals[name].p99.push(result.p99);
    console.log(`round ${round + 1} ${name}: ${result.rps.toFixed(1)} req/s, p99 ${result.p99} ms, ${(used / result.requests).toFixed(1)} CPU ms per board, errors ${result.errors}`);
  }
}
for (const [name, t] of Object.entries(totals)) console.log(`${name} (port ${systems[name].port}): ${(t.cpu / t.requests).toFixed(1)} CPU ms per board over ${t.requests} boards; p99 per slice ${t.p99.join(' ')}`);
console.log(`B/A CPU per board: ${((totals.B.cpu / totals.B.requests) / (totals.A.cpu / totals.A.requests)).toFixed(2)}`);
