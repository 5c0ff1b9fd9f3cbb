/**
 * Live picture benchmark (issue 21): N WebSocket (graphql-ws) subscribers on one area's board while work is
 * created in that area. Work, Permits and Competence run in this process (real databases, relays and consumers on
 * the run's transport); the gateway runs in a process of its own, so its CPU and memory are measured alone.
 *
 * Per variant (coalescing + sharing on, then both off): connect every subscriber and wait for its first board;
 * then BENCH_LIVE_MUTATIONS `createWorkItem`s at BENCH_LIVE_RATE per second; latency per subscriber and item is
 * from the mutation's answer (its transaction and event committed just before) to the first message carrying
 * the item. Also the gateway's CPU over the mutation phase, its resident memory, and its own counters.
 *
 *   KAFKA_BROKERS=127.0.0.1:19092 npx tsx bench/live.ts    (without KAFKA_BROKERS: the Postgres bus)
 *   BENCH_LIVE_SUBSCRIBERS=1000 BENCH_LIVE_PEOPLE=10 BENCH_LIVE_MUTATIONS=40 BENCH_LIVE_RATE=4 BENCH_LIVE_VARIANTS=on,off
 *
 * Its topic prefix and databases are its own and removed at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { devToken, envInt, type Caller } from '@opsgraph/core';
import { ok, people, person, postGraphQL, startTestService, untilPlacesKnown, type TestService } from '@opsgraph/testing';
import { service as competenceService } from '../services/competence/src/service';
import { service as permitsService } from '../services/permits/src/service';
import { service as workService } from '../services/work/src/service';
import { seedPlant } from '../services/work/test/fixtures';
// @ts-expect-error plain ESM helpers of the benchmark
import { cpuMs, rssMiB } from './lib/procs.mjs';

process.env.OPSGRAPH_TOPIC_PREFIX = `bench-live-${randomBytes(4).toString('hex')}.`;
process.env.OPSGRAPH_LOG_LEVEL ??= 'warn';
process.env.OPSGRAPH_MAX_COST ??= '1000000';

const SUBSCRIBERS = envInt('BENCH_LIVE_SUBSCRIBERS', 1000);
const PEOPLE = envInt('BENCH_LIVE_PEOPLE', 10);
const MUTATIONS = envInt('BENCH_LIVE_MUTATIONS', 40);
const RATE = envInt('BENCH_LIVE_RATE', 4);
const VARIANTS = (process.env.BENCH_LIVE_VARIANTS ?? 'on,off').split(',');
const ROOT = path.join(__dirname, '..');

const BOARD = `subscription($s: ID!, $a: ID) { board(siteId: $s, areaId: $a, first: 50) {
  blockedCount awaitingVerificationCount
  items { id number status blocked owner { name } blockers { kind } permitReadiness { ready problems } ownerQualified { qualified } } } }`;

const hse = person('00000000-0000-4000-8000-0000000000c2', 'hse');
const viewer = (i: number): Caller => ({ id: `00000000-0000-4000-8000-${(0xe000 + i).toString(16).padStart(12, '0')}`, name: `Viewer ${i}`, roles: ['supervisor'], sites: ['*'] });
const log = (msg: string) => console.log(`[live] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Child processes of the run, stopped however it ends (a crash must not leave a gateway running). */
const children = new Set<ChildProcess>();
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

async function startGatewayProcess(urls: Record<string, string>, env: Record<string, string>): Promise<{ child: ChildProcess; url: string; pid: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/live/gateway.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, OPSGRAPH_SERVICE: 'gateway', OPSGRAPH_GATEWAY_PORT: String(port), ...Object.fromEntries(Object.entries(urls).map(([s, u]) => [`OPSGRAPH_${s.toUpperCase()}_URL`, u])) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (line.startsWith('{"ready"')) {
      const { url, pid } = JSON.parse(line);
      return { child, url, pid };
    }
  }
  throw new Error('the gateway process ended before it was ready');
}

async function runVariant(name: string, env: Record<string, string>, urls: Record<string, string>, place: { s: string; a: string }, owner: string) {
  const gw = await startGatewayProcess(urls, env);
  log(`${name}: gateway pid ${gw.pid} ready; connecting ${SUBSCRIBERS} subscribers (${PEOPLE} people)`);
  const tokens = await Promise.all(Array.from({ length: PEOPLE }, (_, i) => devToken(viewer(i))));
  const clients = spawn(process.execPath, ['--import', 'tsx', 'bench/live/subscribers.ts'], { cwd: ROOT, env: process.env, stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(clients);
  const replies = createInterface({ input: clients.stdout! })[Symbol.asyncIterator]();
  clients.stdin!.write(`${JSON.stringify({ wsUrl: gw.url.replace(/^http/, 'ws'), tokens, query: BOARD, variables: { s: place.s, a: place.a }, count: SUBSCRIBERS })}\n`);
  const ready = await Promise.race([replies.next(), sleep(180_000).then(() => ({ value: 'timeout' }))]);
  log(`${name}: subscribers ${ready.value}`);
  await sleep(1_000);
  const rssIdle = rssMiB(gw.pid);
  const metricsBefore = await scrape(gw.url);

  const cpuStart = cpuMs(gw.pid);
  const started = Date.now();
  const created: { id: string; at: number }[] = [];
  let peakRss = rssIdle ?? 0;
  const token = await devToken(people.supervisor);
  for (let k = 0; k < MUTATIONS; k++) {
    const due = started + (k * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    const res = ok(await postGraphQL(gw.url, `mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'MAINTENANCE', title: `live bench ${name} ${k}`, siteId: place.s, areaId: place.a, ownerId: owner } }, { authorization: `Bearer ${token}` }));
    created.push({ id: res.createWorkItem.id, at: Date.now() });
    peakRss = Math.max(peakRss, rssMiB(gw.pid) ?? 0);
  }
  // Let the last updates arrive (the gateway's counters stop moving).
  let quiet = 0;
  let lastSent = -1;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline && quiet < 3; ) {
    await sleep(500);
    peakRss = Math.max(peakRss, rssMiB(gw.pid) ?? 0);
    const sent = (await scrape(gw.url)).opsgraph_live_messages_total ?? 0;
    quiet = sent === lastSent ? quiet + 1 : 0;
    lastSent = sent;
  }
  const phaseMs = Date.now() - started;
  const cpu = (cpuMs(gw.pid) ?? NaN) - (cpuStart ?? NaN);
  const metricsAfter = await scrape(gw.url);
  clients.stdin!.write('report\n');
  const report = JSON.parse(String((await replies.next()).value)) as { seen: Record<string, number[]>; messages: number };

  const latencies: number[] = [];
  let missing = 0;
  for (const c of created) {
    const seen = report.seen[c.id] ?? [];
    missing += SUBSCRIBERS - seen.length;
    for (const at of seen) latencies.push(at - c.at);
  }
  latencies.sort((a, b) => a - b);
  const delta = (name: string) => (metricsAfter[name] ?? 0) - (metricsBefore[name] ?? 0);
  const result = {
    variant: name,
    subscribers: SUBSCRIBERS,
    people: PEOPLE,
    mutations: MUTATIONS,
    ratePerS: RATE,
    p50ms: pct(latencies, 50),
    p99ms: pct(latencies, 99),
    maxms: latencies[latencies.length - 1],
    missing,
    messagesPerSubscriber: Math.round(report.messages / SUBSCRIBERS),
    gatewayCpuPctOfOneCore: Math.round((cpu / phaseMs) * 1000) / 10,
    gatewayCpuMsPerMutation: Math.round(cpu / MUTATIONS),
    gatewayRssIdleMiB: Math.round(rssIdle ?? NaN),
    gatewayRssPeakMiB: Math.round(peakRss),
    resolutions: delta('opsgraph_live_resolutions_total'),
    messagesSent: delta('opsgraph_live_messages_total'),
    gatewayLagP50ms: metricsAfter.lagP50 ?? null,
  };
  log(`${name}: ${JSON.stringify(result)}`);
  await new Promise((r) => clients.once('exit', r));
  gw.child.kill('SIGTERM');
  await new Promise((r) => gw.child.once('exit', r));
  return result;
}

/** The gateway's live counters (summed over labels) and the median of its lag histogram. */
async function scrape(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(url.replace('/graphql', '/metrics'))).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(opsgraph_live_[a-z_]+?)(?:\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (m && !m[1].endsWith('_bucket')) out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
  }
  const buckets = [...text.matchAll(/^opsgraph_live_lag_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)].map((m) => [m[1] === '+Inf' ? Infinity : Number(m[1]) * 1000, Number(m[2])] as const);
  const total = buckets.length ? buckets[buckets.length - 1][1] : 0;
  const median = buckets.find(([, n]) => n >= total / 2);
  if (total && median) out.lagP50 = median[0];
  return out;
}

async function main() {
  log(`transport: ${process.env.KAFKA_BROKERS ? `Kafka ${process.env.KAFKA_BROKERS}` : 'Postgres bus'}`);
  const services: TestService[] = await Promise.all([startTestService(workService), startTestService(permitsService), startTestService(competenceService)]);
  const [work, , competence] = services;
  const urls = { work: services[0].url, permits: services[1].url, competence: services[2].url };
  try {
    const plant = await seedPlant(work, 'LIV');
    await untilPlacesKnown(competence.db, [plant.siteId]);
    const setup = await startGatewayProcess(urls, {});
    const gql = async (query: string, variables: Record<string, unknown>, caller: Caller) => ok(await postGraphQL(setup.url, query, variables, { authorization: `Bearer ${await devToken(caller)}` }));
    await gql(`mutation($i: RegisterPersonInput!) { registerPerson(input: $i) { id } }`, { i: { id: people.technician.id, name: 'Tom Technician', roles: ['technician'], siteIds: [plant.siteId] } }, hse);
    // Each variant watches an area of its own (so the items of one never crowd the other's board), each with ten standing jobs.
    const areas = [plant.areaId, plant.otherAreaId];
    for (const areaId of areas) {
      for (let k = 0; k < 10; k++) {
        await gql(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'MAINTENANCE', title: `standing job ${k}`, siteId: plant.siteId, areaId, ownerId: people.technician.id } }, people.supervisor);
      }
    }
    setup.child.kill('SIGTERM');
    await new Promise((r) => setup.child.once('exit', r));
    const results = [];
    for (const [n, variant] of VARIANTS.entries()) {
      const place = { s: plant.siteId, a: areas[n % areas.length] };
      const env: Record<string, string> = variant === 'off' ? { OPSGRAPH_SUBSCRIPTION_SHARING: 'false', OPSGRAPH_SUBSCRIPTION_COALESCE_MS: '0' } : {};
      results.push(await runVariant(variant === 'off' ? 'coalescing+sharing off' : 'coalescing+sharing on', env, urls, place, people.technician.id));
      await sleep(3_000);
    }
    console.log('\n| variant | subscribers (people) | mutations @ rate | commit→message p50 / p99 / max | missing | messages per subscriber | resolutions | gateway CPU (% of a core) | CPU ms per mutation | gateway RSS idle / peak |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of results) {
      console.log(`| ${r.variant} | ${r.subscribers} (${r.people}) | ${r.mutations} @ ${r.ratePerS}/s | ${r.p50ms} / ${r.p99ms} / ${r.maxms} ms | ${r.missing} | ${r.messagesPerSubscriber} | ${r.resolutions} | ${r.gatewayCpuPctOfOneCore} | ${r.gatewayCpuMsPerMutation} | ${r.gatewayRssIdleMiB} / ${r.gatewayRssPeakMiB} MiB |`);
    }
  } finally {
    await Promise.all(services.map((s) => s.stop()));
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
