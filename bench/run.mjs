#!/usr/bin/env node
// The Opsgraph benchmark (issue 8): seeds a plant into dedicated `bench_*` databases, starts every subgraph and
// the gateway as child processes on loopback ports, measures cold start, SQL statements per request and load
// (board, work item page, mutations under board load) with autocannon from a separate process, then the same
// board load against the no-federation baseline and (with --peer) the peer gateway, and prints one table.
//
//   npm run bench                         small plant (2 sites, 200 assets, 10,000 work items), 10 s per scenario
//   npm run bench -- --scale full         the issue's plant (20 sites, 2,000 assets, 200,000 work items)
//   npm run bench -- --peer               also @graphql-hive/gateway (installs it into bench/peer, ~500 MB)
//   node bench/run.mjs --help             every flag
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { log, measureCpu, postGraphQL, runToEnd, sampleMemory, startProcess, stopAll, stopProcess, waitFor } from './lib/procs.mjs';
import { renderMarkdown, renderTable } from './lib/report.mjs';

const require = createRequire(import.meta.url);
const { BOARD, WORK_ITEM, PROBE } = require('./lib/queries.cjs');

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(BENCH, '..');
const WORK_DIR = path.join(BENCH, '.work');
const SERVICES = ['work', 'permits', 'competence', 'documents', 'hazards', 'change', 'compliance'];

const HELP = `usage: node bench/run.mjs [flags]   (npm run bench -- [flags])
  --scale tiny|small|full   plant size (default small: 2 sites, 200 assets, 10,000 work items; full: 20/2,000/200,000)
  --seed N                  PRNG seed (default 42); an existing seed of the same scale and seed is reused
  --reseed                  regenerate the plant even if one of the same scale and seed exists
  --duration S              seconds of load per scenario (default 10)
  --warmup S                seconds of unmeasured board load before measuring each server (default 3)
  --connections N           concurrent connections of the load generator (default 8)
  --board-first N           open items on the board (the board's first argument, default 50)
  --mutation-rate N         mutations per second in the mutations scenario (default 6)
  --scenarios LIST          comma list of board,page,mutations (default all)
  --sizes LIST              board sizes for the statements-per-request check (default 1,10,50,100,200)
  --peer                    also measure @graphql-hive/gateway (installs it into bench/peer on first use, ~500 MB)
  --no-baseline             skip the no-federation baseline
  --no-events               do not run bench/events.ts even if it exists
  --live                    also run bench/live.ts: 1,000 WebSocket subscribers on one area's board while work is created
                            (commit → message p50/p99, gateway CPU and memory, with coalescing and sharing on and off)
  --max-cost N              OPSGRAPH_MAX_COST for our gateway (default 100000, the gateway's own default, which admits the board)
  --port-base N             loopback ports: gateway N, subgraphs N+1..N+7, baseline N+10, peer N+20 (default 4100)
  --out FILE                also write the results as JSON (always written to bench/.work/last-run.json)
  --tune LIST               start our processes with levers applied at run time (bench/experiments/start.ts):
                            cache-control (Apollo's cache-control plugin off), http-agent (gateway → subgraphs over node:http)
  --profile                 write V8 CPU profiles of our gateway and subgraphs (bench/.work/profiles/) and summarize them
  --keep                    leave the servers running after the run (Ctrl-C stops them)`;

function parseArgs(argv) {
  const flags = {
    scale: 'small', seed: 42, reseed: false, duration: 10, warmup: 3, connections: 8, boardFirst: 50, mutationRate: 6,
    scenarios: ['board', 'page', 'mutations'], sizes: [1, 10, 50, 100, 200], peer: false, baseline: true, events: true, live: false, maxCost: 100_000, portBase: 4100, out: null, keep: false, profile: false, tune: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--help': case '-h': console.log(HELP); process.exit(0); break;
      case '--scale': flags.scale = next(); break;
      case '--seed': flags.seed = Number(next()); break;
      case '--reseed': flags.reseed = true; break;
      case '--duration': flags.duration = Number(next()); break;
      case '--warmup': flags.warmup = Number(next()); break;
      case '--connections': flags.connections = Number(next()); break;
      case '--board-first': flags.boardFirst = Number(next()); break;
      case '--mutation-rate': flags.mutationRate = Number(next()); break;
      case '--scenarios': flags.scenarios = next().split(','); break;
      case '--sizes': flags.sizes = next().split(',').map(Number); break;
      case '--peer': flags.peer = true; break;
      case '--no-baseline': flags.baseline = false; break;
      case '--no-events': flags.events = false; break;
      case '--live': flags.live = true; break;
      case '--max-cost': flags.maxCost = Number(next()); break;
      case '--port-base': flags.portBase = Number(next()); break;
      case '--out': flags.out = next(); break;
      case '--keep': flags.keep = true; break;
      case '--profile': flags.profile = true; break;
      case '--tune': flags.tune = next().split(','); break;
      default: throw new Error(`unknown flag ${a} (see --help)`);
    }
  }
  if (!(flags.duration > 0 && flags.duration <= 600)) throw new Error('--duration must be between 1 and 600 seconds');
  return flags;
}

const portFree = (port) =>
  new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

async function ensureAutocannon() {
  if (existsSync(path.join(BENCH, 'node_modules', 'autocannon'))) return;
  log('installing autocannon into bench/node_modules (npm install --prefix bench)');
  await runToEnd('npm', ['install', '--prefix', BENCH, '--no-audit', '--no-fund'], { cwd: ROOT, env: process.env, prefix: '[npm] ' });
}

/** Installs @graphql-hive/gateway into bench/peer (once); false (with the reason) when it cannot be installed. */
async function ensurePeer() {
  const bin = path.join(BENCH, 'peer', 'node_modules', '.bin', 'hive-gateway');
  if (existsSync(bin)) return { ok: true, bin };
  log('installing the peer gateway @graphql-hive/gateway into bench/peer (npm install --prefix bench/peer; ~500 MB, once)');
  try {
    await runToEnd('npm', ['install', '--prefix', path.join(BENCH, 'peer'), '--no-audit', '--no-fund'], { cwd: ROOT, env: process.env, prefix: '[npm] ', timeoutMs: 900_000 });
  } catch (e) {
    return { ok: false, reason: `npm install failed: ${String(e.stderr ?? e).split('\n').filter(Boolean).slice(-3).join(' / ')}` };
  }
  return existsSync(bin) ? { ok: true, bin } : { ok: false, reason: 'installed, but node_modules/.bin/hive-gateway is missing' };
}

function versions(pgVersion) {
  const v = (pkg, from = ROOT) => {
    try {
      return JSON.parse(readFileSync(path.join(from, 'node_modules', pkg, 'package.json'), 'utf8')).version;
    } catch {
      return null;
    }
  };
  return {
    node: process.version,
    postgres: pgVersion,
    '@apollo/gateway': v('@apollo/gateway'),
    '@apollo/server': v('@apollo/server'),
    '@apollo/subgraph': v('@apollo/subgraph'),
    graphql: v('graphql'),
    typeorm: v('typeorm'),
    pg: v('pg'),
    dataloader: v('dataloader'),
    autocannon: v('autocannon', BENCH),
    '@graphql-hive/gateway': v('@graphql-hive/gateway', path.join(BENCH, 'peer')),
  };
}

function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadAverage: os.loadavg().map((x) => +x.toFixed(2)),
    platform: `${os.type()} ${os.release()}`,
  };
}

async function main() {
  const flags = parseArgs(process.argv.slice(2));
  mkdirSync(WORK_DIR, { recursive: true });
  const logDir = path.join(WORK_DIR, 'logs', new Date().toISOString().replace(/[:.]/g, '-'));
  const command = `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim();
  const results = { command, startedAt: new Date().toISOString(), flags, machine: machine(), notes: [] };
  log(`${command} — logs in ${path.relative(ROOT, logDir)}`);

  const ports = { gateway: flags.portBase, baseline: flags.portBase + 10, peer: flags.portBase + 20 };
  SERVICES.forEach((s, i) => (ports[s] = flags.portBase + 1 + i));
  for (const [name, port] of Object.entries(ports)) if (!(await portFree(port))) throw new Error(`port ${port} (${name}) is in use: pass --port-base`);

  await ensureAutocannon();
  const { ensurePostgres } = await import(path.join(ROOT, 'scripts', 'lib.mjs'));
  const pg = await ensurePostgres({ preferLocal5432: true });
  const present = SERVICES.filter((s) => existsSync(path.join(ROOT, 'services', s, 'src', 'main.ts')));
  for (const s of SERVICES.filter((x) => !present.includes(x))) log(`service ${s} is not in this checkout yet: skipped`);

  const env = {
    ...process.env,
    OPSGRAPH_PG_URL: pg.url,
    OPSGRAPH_DB_PREFIX: 'bench',
    OPSGRAPH_TOPIC_PREFIX: 'bench.',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    OPSGRAPH_INTERNAL_SECRET: process.env.OPSGRAPH_INTERNAL_SECRET ?? 'bench-internal-secret',
    OPSGRAPH_JWT_SECRET: process.env.OPSGRAPH_JWT_SECRET ?? 'bench-jwt-secret',
    OPSGRAPH_HOST: '127.0.0.1',
    OPSGRAPH_GATEWAY_PORT: String(ports.gateway),
    OPSGRAPH_MAX_COST: String(flags.maxCost),
  };
  for (const s of SERVICES) {
    env[`OPSGRAPH_${s.toUpperCase()}_PORT`] = String(ports[s]);
    env[`OPSGRAPH_${s.toUpperCase()}_URL`] = `http://127.0.0.1:${ports[s]}/graphql`;
  }
  const tsx = (script, args = [], extra = {}) => ({ command: process.execPath, args: [...(extra.nodeArgs ?? []), '--import', 'tsx', script, ...args] });
  // With --tune, our gateway and subgraphs start through the experiment wrapper, which applies the levers.
  const ours = (script, args = [], extra = {}) => (flags.tune.length ? tsx('bench/experiments/start.ts', [script, ...args], extra) : tsx(script, args, extra));
  if (flags.tune.length) env.BENCH_TUNE = flags.tune.join(',');
  const profileDir = path.join(WORK_DIR, 'profiles', path.basename(logDir));
  const profileWindows = []; // monotonic µs, the clock of V8's profile timestamps
  const profiled = (name) => (flags.profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, name)}`] } : {});

  // ------------------------------------------------------------------ seed (reused when it exists)
  log(`seeding the ${flags.scale} plant (seed ${flags.seed})`);
  const seedStarted = performance.now();
  const nodeArgs = flags.scale === 'full' ? ['--max-old-space-size=6144'] : [];
  const seedCmd = tsx('bench/seed.ts', ['--scale', flags.scale, '--seed', String(flags.seed), ...(flags.reseed ? ['--force'] : [])], { nodeArgs });
  const seedOut = await runToEnd(seedCmd.command, seedCmd.args, { cwd: ROOT, env, timeoutMs: 3_600_000, prefix: '' });
  const manifest = JSON.parse(seedOut.split('\n').find((l) => l.startsWith('BENCH_MANIFEST ')).slice('BENCH_MANIFEST '.length));
  results.seed = { scale: manifest.scale, seed: manifest.seed, anchor: manifest.anchor, reused: manifest.reused, seconds: +((performance.now() - seedStarted) / 1000).toFixed(1), counts: manifest.counts, board: manifest.board };
  const pgVersion = await sql(pg.url, 'postgres', 'SHOW server_version').then((rows) => rows[0].server_version).catch(() => 'unknown');
  results.versions = versions(pgVersion);

  // ------------------------------------------------------------------ supergraph and tokens
  const prep = tsx('bench/lib/prepare.ts', [WORK_DIR, JSON.stringify(manifest.callers)]);
  const prepared = JSON.parse((await runToEnd(prep.command, prep.args, { cwd: ROOT, env, echo: false })).trim().split('\n').pop());
  const auth = (who) => ({ authorization: `Bearer ${prepared.tokens[who]}` });
  const boardBody = (first = flags.boardFirst) => ({ query: BOARD, variables: { siteId: manifest.board.siteId, areaId: manifest.board.areaId, first } });
  const pageBodies = manifest.pageItems.map((id) => ({ query: WORK_ITEM, variables: { id } }));

  // ------------------------------------------------------------------ cold start: spawn → the gateway answers a query across every subgraph
  log(`cold start: ${present.length} subgraphs and the gateway on 127.0.0.1:${ports.gateway}-${ports.gateway + 7}`);
  const coldStarted = performance.now();
  const procs = {};
  for (const s of present) {
    const c = ours(`services/${s}/src/main.ts`, [], profiled(s));
    procs[s] = startProcess(s, c.command, c.args, { env: { ...env, OPSGRAPH_SERVICE: s }, cwd: ROOT, logDir });
  }
  const gw = ours('bench/lib/gateway.ts', [prepared.supergraphPath, String(ports.gateway)], profiled('gateway'));
  procs.gateway = startProcess('gateway', gw.command, gw.args, { env, cwd: ROOT, logDir });
  const ready = {};
  const all = Object.values(procs);
  const gatewayUrl = `http://127.0.0.1:${ports.gateway}/graphql`;
  const cleanup = async () => {
    if (!flags.keep) await stopAll();
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    await Promise.all([
      ...present.map((s) =>
        waitFor(async () => (await fetch(`http://127.0.0.1:${ports[s]}/ready`)).ok, { what: `${s} ready`, procs: [procs[s]], timeoutMs: 180_000 }).then(() => (ready[s] = performance.now() - coldStarted)),
      ),
      waitFor(
        async () => {
          const r = await postGraphQL(gatewayUrl, { query: PROBE, variables: { siteId: manifest.board.siteId, areaId: manifest.board.areaId } }, auth('supervisor'), 5000);
          return r.status === 200 && r.json?.data?.board && !r.json.errors;
        },
        { what: 'the gateway answering the probe query', procs: all, timeoutMs: 180_000, everyMs: 50 },
      ).then(() => (ready.graph = performance.now() - coldStarted)),
    ]);
    results.coldStart = { totalMs: Math.round(ready.graph), perProcessReadyMs: Object.fromEntries(present.map((s) => [s, Math.round(ready[s])])), note: 'spawn of every process → first complete answer of a query touching every subgraph; migrations already applied' };
    log(`cold start: the graph answered after ${Math.round(ready.graph)} ms`);

    // ------------------------------------------------------------------ correctness and SQL statements per request
    const first = await postGraphQL(gatewayUrl, boardBody(), auth('supervisor'));
    if (first.status !== 200 || first.json?.errors) {
      throw new Error(`the board query fails on our gateway: ${first.text.slice(0, 600)}`);
    }
    const boardItems = first.json.data.board.items;
    results.board = { items: boardItems.length, first: flags.boardFirst, bytes: first.text.length, blocked: boardItems.filter((i) => i.blocked).length, blockers: boardItems.reduce((n, i) => n + i.blockers.length, 0) };
    results.costs = { ...prepared.costs, limit: 100_000, runWith: flags.maxCost };
    log(`board of ${manifest.board.siteCode}/${manifest.board.areaCode}: ${boardItems.length} items, ${results.board.blockers} blockers, ${(first.text.length / 1024).toFixed(0)} KiB`);

    const statementProbe = async (url, headers) => {
      const bySize = {};
      for (const size of flags.sizes) {
        const r = await postGraphQL(url, boardBody(size), headers);
        bySize[size] = { statements: r.statements, items: r.json?.data?.board?.items?.length ?? null, errors: r.json?.errors?.length ?? (r.status === 200 ? 0 : r.status), ms: Math.round(r.ms) };
      }
      return bySize;
    };
    results.statements = { board: await statementProbe(gatewayUrl, auth('supervisor')) };
    const pageStatements = [];
    for (const body of pageBodies.slice(0, 5)) {
      const r = await postGraphQL(gatewayUrl, body, auth('supervisor'));
      if (r.json?.errors) results.notes.push(`work item page error: ${JSON.stringify(r.json.errors[0]).slice(0, 300)}`);
      pageStatements.push(r.statements);
    }
    results.statements.page = { min: Math.min(...pageStatements), max: Math.max(...pageStatements) };

    // ------------------------------------------------------------------ background CPU with no load (schedulers, outbox relays, consumers)
    {
      const idle = measureCpu(Object.values(procs));
      await new Promise((r) => setTimeout(r, 5000));
      const used = idle.stop();
      results.idleCpuPercent = Object.fromEntries(Object.entries(used).map(([k, v]) => [k, +((100 * v) / 5000).toFixed(1)]));
      log(`idle CPU over 5 s: ${Object.entries(results.idleCpuPercent).map(([k, v]) => `${k} ${v}%`).join(', ')}`);
    }

    // ------------------------------------------------------------------ load scenarios
    // Requests each subgraph served (its opsgraph_graphql_requests_total), to see how many subgraph calls one
    // client request costs: in-flight deduplication in a gateway shows up here.
    const subgraphRequests = async () => {
      const counts = {};
      await Promise.all(present.map(async (s) => {
        try {
          const text = await (await fetch(`http://127.0.0.1:${ports[s]}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
          counts[s] = text.split('\n').filter((l) => l.startsWith('opsgraph_graphql_requests_total{')).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
        } catch {
          counts[s] = null;
        }
      }));
      return counts;
    };
    const runLoad = async (name, target, bodies, headers, memoryProcs, extra = {}) => {
      const cfg = { url: target, bodies, headers, connections: flags.connections, durationSeconds: extra.duration ?? flags.duration, ...extra.config };
      const countSubgraphs = extra.countSubgraphs !== false && memoryProcs.some((p) => present.includes(p.name));
      const before = countSubgraphs ? await subgraphRequests() : null;
      const mem = sampleMemory(memoryProcs);
      const cpu = measureCpu(memoryProcs);
      const windowStart = process.hrtime.bigint() / 1000n;
      const out = await runToEnd(process.execPath, [path.join(BENCH, 'lib', 'load.mjs'), JSON.stringify(cfg)], { cwd: ROOT, env: process.env, echo: false, timeoutMs: (cfg.durationSeconds + 120) * 1000 });
      const cpuUsed = cpu.stop();
      if (name) profileWindows.push({ name, startUs: Number(windowStart), endUs: Number(process.hrtime.bigint() / 1000n) });
      const memory = mem.stop();
      const r = JSON.parse(out.trim().split('\n').pop());
      // CPU milliseconds each process spent per request served (mutations included in the mutations scenario).
      const served = r.requests + (r.mutations?.sent ?? 0);
      r.cpuMsPerRequest = Object.fromEntries(Object.entries(cpuUsed).map(([k, v]) => [k, served ? +(v / served).toFixed(2) : null]));
      r.loadAverage = os.loadavg().map((x) => +x.toFixed(2));
      if (before) {
        const after = await subgraphRequests();
        r.subgraphCallsPerRequest = Object.fromEntries(present.map((s) => [s, before[s] === null || after[s] === null || !served ? null : +((after[s] - before[s]) / served).toFixed(2)]));
      }
      if (name) log(`${name}: ${r.rps.toFixed(1)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}${r.firstError ? ` (${r.firstError.slice(0, 160)})` : ''}`);
      return { ...r, memory };
    };
    const ourProcs = Object.values(procs);
    const warm = (url, headers) => (flags.warmup > 0 ? runLoad(null, url, [boardBody()], headers, [], { duration: flags.warmup }) : null);
    results.scenarios = {};
    await warm(gatewayUrl, auth('supervisor'));
    if (flags.scenarios.includes('board')) results.scenarios.board = await runLoad('board (our gateway)', gatewayUrl, [boardBody()], auth('supervisor'), ourProcs);
    if (flags.scenarios.includes('page')) results.scenarios.page = await runLoad('work item page (our gateway)', gatewayUrl, pageBodies, auth('supervisor'), ourProcs);
    if (flags.scenarios.includes('mutations')) {
      const pool = await mutationPool(pg.url, manifest, Math.ceil(flags.mutationRate * flags.duration) + 20);
      if (pool.length < flags.mutationRate * flags.duration / 3) results.notes.push(`only ${pool.length} READY items left in the board's site for the mutation scenario: run with --reseed to restore the plant`);
      results.scenarios.mutations = await runLoad('board under mutations (our gateway)', gatewayUrl, [boardBody()], auth('supervisor'), ourProcs, {
        config: { mutations: { rate: flags.mutationRate, pool, tokens: prepared.tokens } },
      });
      await new Promise((r) => setTimeout(r, 3000)); // let the events the mutations caused settle
      const m = results.scenarios.mutations.mutations;
      log(`mutations: ${m.sent} sent (${m.achievedRate.toFixed(1)}/s), p50 ${m.p50?.toFixed(1)} ms, p99 ${m.p99?.toFixed(1)} ms, errors ${m.errors}${m.firstError ? ` (${m.firstError})` : ''}`);
    }

    // ------------------------------------------------------------------ baseline (b): the peer gateway on the same supergraph and subgraphs
    if (flags.peer) {
      const peer = await ensurePeer();
      if (!peer.ok) {
        log(`peer gateway not measured: ${peer.reason}`);
        results.peer = { skipped: peer.reason };
      } else {
        // Twice: as it comes (in-flight deduplication of identical subgraph requests on, its default, as ours
        // shares identical reads of one caller), and with it off. With one caller every client's subgraph
        // requests are identical, so sharing collapses concurrent boards into one set of subgraph calls.
        for (const variant of ['default', 'noDedupe']) {
          const configPath = writePeerConfig(prepared, ports.peer, { dedupe: variant === 'default' });
          const started = performance.now();
          const proc = startProcess(`peer-${variant}`, process.execPath, [peer.bin, 'supergraph', prepared.supergraphPath, '--host', '127.0.0.1', '--port', String(ports.peer)], {
            env: { ...env, NODE_ENV: 'production' }, cwd: path.dirname(configPath), logDir,
          });
          proc.name = 'peer';
          const url = `http://127.0.0.1:${ports.peer}/graphql`;
          await waitFor(async () => (await postGraphQL(url, boardBody(1), auth('supervisor'), 5000)).json?.data?.board, { what: 'the peer gateway', procs: [proc], timeoutMs: 120_000 });
          const coldMs = Math.round(performance.now() - started);
          const [ours, check] = [await postGraphQL(gatewayUrl, boardBody(), auth('supervisor')), await postGraphQL(url, boardBody(), auth('supervisor'))];
          if (check.json?.errors) results.notes.push(`peer gateway board errors: ${JSON.stringify(check.json.errors).slice(0, 300)}`);
          const entry = { coldStartMs: coldMs, sameAnswer: check.json?.data ? compareBoards(ours.json.data.board, check.json.data.board) : false, bytes: check.text.length, statements: await statementProbe(url, auth('supervisor')) };
          await warm(url, auth('supervisor'));
          entry.board = await runLoad(`board (peer gateway, ${variant === 'default' ? 'default: in-flight dedupe on' : 'in-flight dedupe off'})`, url, [boardBody()], auth('supervisor'), [proc, ...present.map((s) => procs[s])]);
          if (variant === 'default') results.peer = entry;
          else results.peerNoDedupe = entry;
          await stopProcess(proc);
        }
      }
    } else {
      results.peer = { skipped: 'not requested (npm run bench -- --peer)' };
    }
    // ------------------------------------------------------------------ baseline (a): no federation, same databases
    // Our gateway and subgraphs stop first (after one last board, the reference for the baseline's answer):
    // the baseline runs alone on the machine, as ours did.
    const reference = flags.baseline ? await postGraphQL(gatewayUrl, boardBody(), auth('supervisor')) : null;
    if (flags.baseline && !flags.keep) for (const p of Object.values(procs)) await stopProcess(p);
    if (flags.baseline) {
      const c = tsx('bench/baseline/no-federation.ts', [String(ports.baseline)], profiled('baseline'));
      const started = performance.now();
      procs.baseline = startProcess('baseline', c.command, c.args, { env, cwd: ROOT, logDir });
      const url = `http://127.0.0.1:${ports.baseline}/graphql`;
      await waitFor(async () => (await postGraphQL(url, boardBody(1), auth('supervisor'), 5000)).json?.data?.board, { what: 'the no-federation baseline', procs: [procs.baseline] });
      const coldMs = Math.round(performance.now() - started);
      const check = await postGraphQL(url, boardBody(), auth('supervisor'));
      if (check.json?.errors) throw new Error(`the baseline's board fails: ${check.text.slice(0, 500)}`);
      results.baseline = { coldStartMs: coldMs, sameAnswer: compareBoards(reference.json.data.board, check.json.data.board), bytes: check.text.length, statements: await statementProbe(url, auth('supervisor')) };
      await warm(url, auth('supervisor'));
      results.baseline.board = await runLoad('board (no-federation baseline)', url, [boardBody()], auth('supervisor'), [procs.baseline]);
      await stopProcess(procs.baseline);
    }

  } finally {
    if (flags.keep) log(`--keep: the servers stay up (gateway ${gatewayUrl}); Ctrl-C stops them`);
    else await cleanup();
  }

  if (flags.profile && !flags.keep) {
    const { summarizeProfiles } = await import('./lib/profile-summary.mjs');
    results.profile = summarizeProfiles(profileDir, profileWindows.filter((w) => w.name.startsWith('board (our')));
    writeFileSync(path.join(profileDir, 'windows.json'), JSON.stringify(profileWindows));
    log(`CPU profiles in ${path.relative(ROOT, profileDir)}`);
  }

  // ------------------------------------------------------------------ events (another engineer's benchmark, when present)
  if (flags.events) {
    const events = path.join(BENCH, 'events.ts');
    if (existsSync(events)) {
      log('running bench/events.ts (the event backbone benchmark)');
      try {
        const c = tsx('bench/events.ts');
        const out = await runToEnd(c.command, c.args, { cwd: ROOT, env: { ...env, OPSGRAPH_DB_PREFIX: 'bench' }, timeoutMs: 600_000, prefix: 'events     | ' });
        results.events = { output: out.trim().split('\n').slice(-40) };
      } catch (e) {
        results.events = { failed: String(e.message), output: String(e.stdout ?? '').trim().split('\n').slice(-20) };
      }
    } else results.events = { skipped: 'bench/events.ts is not in this checkout' };
  }

  // ------------------------------------------------------------------ live picture (subscriptions, issue 21)
  if (flags.live) {
    log('running bench/live.ts (subscribers on one board while work is created)');
    try {
      const c = tsx('bench/live.ts');
      const out = await runToEnd(c.command, c.args, { cwd: ROOT, env: { ...env, OPSGRAPH_LOG_LEVEL: 'warn' }, timeoutMs: 900_000, prefix: 'live       | ' });
      results.live = { output: out.trim().split('\n').filter((l) => l.startsWith('|')) };
    } catch (e) {
      results.live = { failed: String(e.message), output: String(e.stdout ?? '').trim().split('\n').slice(-20) };
    }
  }

  results.finishedAt = new Date().toISOString();
  writeFileSync(path.join(WORK_DIR, 'last-run.json'), JSON.stringify(results, null, 2));
  if (flags.out) writeFileSync(flags.out, JSON.stringify(results, null, 2));
  writeFileSync(path.join(WORK_DIR, 'last-run.md'), renderMarkdown(results));
  console.log('\n' + renderTable(results));
  log(`results: ${path.relative(ROOT, path.join(WORK_DIR, 'last-run.json'))} and last-run.md`);
  await pg.stop();
  if (!flags.keep) process.exit(0);
}

/** Same items in the same order, same blockers and readiness: the servers answer the same board. */
function compareBoards(a, b) {
  const key = (board) => JSON.stringify(board.items.map((i) => [i.id, i.status, i.blocked, i.blockers.length, i.permitReadiness?.ready, i.ownerQualified?.qualified ?? null, i.documents.length, i.hazards.length, i.change?.id ?? null, i.complianceRequirements.length, i.complianceChecks.length, i.owner?.name ?? null]));
  const same = key(a) === key(b) && JSON.stringify(a.counts) === JSON.stringify(b.counts);
  if (same) return true;
  const ai = a.items.map((i) => i.id);
  const bi = b.items.map((i) => i.id);
  const firstDiff = a.items.findIndex((x, k) => JSON.stringify(x) !== JSON.stringify(b.items[k]));
  return { sameIds: JSON.stringify(ai) === JSON.stringify(bi), firstDifferentItem: firstDiff, ours: JSON.stringify(a.items[firstDiff]).slice(0, 800), theirs: JSON.stringify(b.items[firstDiff]).slice(0, 800) };
}

/** A query on one of the benchmark's databases through `pg` (the root install has it; no psql needed). */
async function sql(pgUrl, database, text, params = []) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: `${pgUrl}/${database}` });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** READY items without open blockers in the board's site, board area first, with their required outcome. */
async function mutationPool(pgUrl, manifest, size) {
  const rows = await sql(
    pgUrl,
    'bench_work',
    `SELECT id, required_outcome FROM work_item WHERE site_id = $1 AND status = 'READY' AND open_prerequisites = 0
      ORDER BY (area_id = $2) DESC, created_at LIMIT $3`,
    [manifest.board.siteId, manifest.board.areaId, Number(size)],
  );
  return rows.map((r) => ({ id: r.id, requiredOutcome: r.required_outcome }));
}

/** The peer gateway's config: the supergraph, and the signed internal caller header sent to every subgraph. */
function writePeerConfig(prepared, port, { dedupe }) {
  const dir = path.join(WORK_DIR, 'peer');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'gateway.config.mjs');
  const transport = dedupe ? '' : `\n  transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } },`;
  writeFileSync(
    file,
    `// Written by bench/run.mjs for one run. The peer gateway serves the same supergraph as ours and, like ours,
// sends subgraphs the signed internal caller header they require (here one token signed for the whole run).
export const gatewayConfig = {
  supergraph: ${JSON.stringify(prepared.supergraphPath)},
  port: ${port},
  host: '127.0.0.1',
  logging: 'warn',
  graphiql: false,
  landingPage: false,${transport}
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({
      'x-opsgraph-caller': ${JSON.stringify(prepared.internal)},
      ...(request.headers.get('x-opsgraph-count-statements') && { 'x-opsgraph-count-statements': '1' }),
    }),
    // Subgraphs count statements only when asked (the checks ask; the load does not).
    fromSubgraphsToClient: ({ response }) => {
      const statements = response.headers.get('x-opsgraph-sql-statements');
      return statements === null ? {} : { 'x-opsgraph-sql-statements': statements };
    },
  },
};
`,
  );
  return file;
}

main().catch(async (err) => {
  console.error(`[bench] failed: ${err.stack ?? err}`);
  await stopAll();
  process.exit(1);
});
