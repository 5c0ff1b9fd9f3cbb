// Starts the whole system: Postgres (embedded by default), every subgraph, the gateway, the event
// flow (Kafka when KAFKA_BROKERS is set or OPSGRAPH_KAFKA=start, else the Postgres transport), and
// seeds the demo plant on first run. Ctrl-C stops everything.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT, SERVICES, ensureKafka, ensurePostgres, log, startChild, waitForHttp } from './lib.mjs';

const PORTS = { gateway: 4000, work: 4001, permits: 4002, competence: 4003, documents: 4004, hazards: 4005, change: 4006, compliance: 4007 };
const children = [];
let stopping = false;

async function main() {
  const pg = await ensurePostgres();
  const kafka = process.env.KAFKA_BROKERS || process.env.OPSGRAPH_KAFKA === 'start' ? await ensureKafka({ dataDir: path.join(ROOT, '.data', 'kafka') }) : { brokers: undefined, stop: async () => {} };
  if (!kafka.brokers) log('events: Postgres transport (set KAFKA_BROKERS or OPSGRAPH_KAFKA=start for Kafka)');
  const env = { OPSGRAPH_PG_URL: pg.url, NODE_ENV: process.env.NODE_ENV ?? 'development', ...(kafka.brokers ? { KAFKA_BROKERS: kafka.brokers } : {}) };

  const shutdown = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    log('stopping');
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    await kafka.stop();
    await pg.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());

  // OPSGRAPH_SERVICES=work,permits runs only some subgraphs (the gateway still serves the whole schema).
  const only = process.env.OPSGRAPH_SERVICES?.split(',').map((s) => s.trim());
  const services = SERVICES.filter((s) => existsSync(path.join(ROOT, 'services', s, 'src', 'main.ts')) && (!only || only.includes(s)));
  for (const name of services) {
    const child = startChild(name, process.execPath, ['--import', 'tsx', `services/${name}/src/main.ts`], { ...env, OPSGRAPH_SERVICE: name });
    child.on('exit', (code) => !stopping && (log(`${name} exited with ${code}`), void shutdown(1)));
    children.push(child);
  }
  // Subgraphs start in parallel; each creates and migrates its own database.
  await Promise.all(services.map((name, i) => waitForHttp(`http://127.0.0.1:${PORTS[name]}/ready`, { child: children[i], timeoutMs: 120_000 })));
  const gateway = startChild('gateway', process.execPath, ['--import', 'tsx', 'gateway/src/main.ts'], env);
  gateway.on('exit', (code) => !stopping && (log(`gateway exited with ${code}`), void shutdown(1)));
  children.push(gateway);
  await waitForHttp(`http://127.0.0.1:${PORTS.gateway}/health`, { child: gateway });

  if (!process.env.OPSGRAPH_NO_DEMO) {
    const seed = startChild('demo', process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], env);
    await new Promise((resolve) => seed.once('exit', resolve));
  }
  const token = startChild('token', process.execPath, ['--import', 'tsx', 'scripts/token.ts', 'supervisor'], env);
  await new Promise((resolve) => token.once('exit', resolve));
  log(`ready: gateway at http://127.0.0.1:${PORTS.gateway}/graphql (services: ${services.join(', ')}). Ctrl-C stops everything.`);
}

main().catch(async (err) => {
  console.error(err);
  for (const child of children) child.kill('SIGTERM');
  process.exit(1);
});
