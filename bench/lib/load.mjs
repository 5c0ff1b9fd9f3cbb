// The load generator: a separate process (so it does not share an event loop with anything it measures)
// that drives one scenario against a loopback URL with autocannon for a bounded time and prints the
// result as one JSON line. Optionally runs the mutation driver beside the read load: start → complete
// (with the evidence each item asks for) → verify, at a steady rate, each mutation timed on its own.
//
//   node bench/lib/load.mjs '<config json>'
import { createRequire } from 'node:module';
import autocannon from 'autocannon';

const require = createRequire(import.meta.url);
const { START, COMPLETE, VERIFY, evidenceFor } = require('./queries.cjs');

const config = JSON.parse(process.argv[2]);
const url = new URL(config.url);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error(`load is only sent to loopback addresses, not ${url.hostname}`);

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** One GraphQL call for the mutation driver (plain fetch, its own connection pool). */
async function call(body, token, count = false) {
  const t0 = performance.now();
  try {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(count && { 'x-opsgraph-count-statements': '1' }) };
    const res = await fetch(config.url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    const json = await res.json();
    const statements = Number(res.headers.get('x-opsgraph-sql-statements') ?? NaN);
    const error = res.status !== 200 || json.errors?.length ? (json.errors?.[0]?.extensions?.code ?? `HTTP ${res.status}`) : null;
    return { ms: performance.now() - t0, error, statements, message: json.errors?.[0]?.message };
  } catch (e) {
    return { ms: performance.now() - t0, error: e.name === 'TimeoutError' ? 'TIMEOUT' : 'NETWORK', statements: NaN, message: String(e) };
  }
}

/**
 * Start/complete/verify at `rate` mutations per second over the pool of READY items: each item goes
 * through its three steps in order (a step starts only once the previous one answered), items interleave.
 */
async function mutationDriver({ rate, pool, tokens, durationMs }) {
  const latencies = { startWork: [], completeWork: [], verifyWork: [] };
  const statements = { startWork: [], completeWork: [], verifyWork: [] };
  const asked = {};
  const errors = {};
  let sent = 0;
  const queue = [...pool];
  const inFlight = new Set();
  // Each in-flight item is at a step; the scheduler sends one step every 1000/rate ms.
  const pending = []; // items ready for their next step: { item, step }
  const stepBody = (item, step) =>
    step === 0
      ? [{ query: START, variables: { id: item.id } }, tokens.technician, 'startWork']
      : step === 1
        ? [{ query: COMPLETE, variables: { id: item.id, evidence: evidenceFor(item.requiredOutcome) } }, tokens.technician, 'completeWork']
        : [{ query: VERIFY, variables: { id: item.id } }, tokens.verifier, 'verifyWork'];
  const deadline = performance.now() + durationMs;
  const interval = 1000 / rate;
  let next = performance.now();
  while (performance.now() < deadline) {
    let job = pending.shift();
    if (!job) {
      const item = queue.shift();
      if (item) job = { item, step: 0 };
    }
    if (job) {
      const [body, token, name] = stepBody(job.item, job.step);
      sent++;
      // The first few of each kind ask for their statement count; counting costs CPU, so not all of them.
      asked[name] = (asked[name] ?? 0) + 1;
      const p = call(body, token, asked[name] <= 3).then((r) => {
        latencies[name].push(r.ms);
        if (Number.isFinite(r.statements)) statements[name].push(r.statements);
        if (r.error) {
          errors[r.error] = (errors[r.error] ?? 0) + 1;
          if (!errors.first) errors.first = `${name}: ${r.message}`.slice(0, 300);
        } else if (job.step < 2) pending.push({ item: job.item, step: job.step + 1 });
      });
      inFlight.add(p);
      p.finally(() => inFlight.delete(p));
    }
    next += interval;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await Promise.all(inFlight);
  const summary = {};
  for (const [name, list] of Object.entries(latencies)) {
    const sorted = [...list].sort((a, b) => a - b);
    const st = statements[name];
    summary[name] = { count: list.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), statements: st.length ? Math.max(...st) : null };
  }
  const all = Object.values(latencies).flat().sort((a, b) => a - b);
  const { first, ...codes } = errors;
  return {
    sent,
    achievedRate: sent / (durationMs / 1000),
    errors: Object.values(codes).reduce((n, c) => n + c, 0),
    errorCodes: codes,
    firstError: first ?? null,
    p50: percentile(all, 50),
    p95: percentile(all, 95),
    p99: percentile(all, 99),
    byMutation: summary,
    poolLeft: queue.length,
  };
}

async function main() {
  const bodies = config.bodies.map((b) => JSON.stringify(b));
  let gqlErrors = 0;
  let firstError = null;
  const statements = [];
  let n = 0;
  const load = autocannon({
    url: config.url,
    connections: config.connections,
    duration: config.durationSeconds,
    pipelining: 1,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...config.headers },
        body: bodies[0],
        setupRequest: (req) => ({ ...req, body: bodies[n++ % bodies.length] }),
        onResponse: (status, body, _context, headers) => {
          if (status === 200 && body && body.includes('"errors"')) {
            gqlErrors++;
            if (!firstError) firstError = body.slice(0, 300);
          } else if (status !== 200 && !firstError) firstError = `HTTP ${status}: ${String(body).slice(0, 200)}`;
          const st = headers?.['x-opsgraph-sql-statements'];
          if (st !== undefined && statements.length < 5000) statements.push(String(st).split(',').reduce((s, v) => s + Number(v.trim() || 0), 0));
        },
      },
    ],
  });
  // Every response's latency (autocannon's own summary has no p95).
  const latencies = [];
  load.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const mutations = config.mutations ? mutationDriver({ ...config.mutations, durationMs: config.durationSeconds * 1000 }) : null;
  const result = await load;
  const mutationResult = mutations ? await mutations : null;
  const lat = result.latency;
  const st = statements.sort((a, b) => a - b);
  const sorted = latencies.sort((a, b) => a - b);
  const pct = (p) => (sorted.length ? +percentile(sorted, p).toFixed(1) : null);
  console.log(
    JSON.stringify({
      requests: result.requests.total,
      durationSeconds: result.duration,
      rps: result.requests.total / result.duration,
      p50: pct(50),
      p95: pct(95),
      p99: pct(99),
      max: sorted.length ? +sorted[sorted.length - 1].toFixed(1) : lat.max,
      mean: sorted.length ? +(sorted.reduce((a, b) => a + b, 0) / sorted.length).toFixed(1) : lat.average,
      samples: sorted.length,
      non2xx: result.non2xx,
      httpErrors: result.errors,
      timeouts: result.timeouts,
      graphqlErrors: gqlErrors,
      errors: result.non2xx + result.errors + result.timeouts + gqlErrors,
      firstError,
      statements: st.length ? { min: st[0], median: st[Math.floor(st.length / 2)], max: st[st.length - 1] } : null,
      mutations: mutationResult,
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
