// Starts the whole system: Postgres (embedded by default), every subgraph, the gateway, the event
// flow (Kafka when KAFKA_BROKERS is set or OPSGRAPH_KAFKA=start, else the Postgres transport), and
// seeds the demo plant on first run. A process that dies is started again with a backoff while the others
// keep serving; Ctrl-C, or one process dying 5 times within a minute, stops everything.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT, SERVICES, ensureKafka, ensurePostgres, log, startChild, supervise, waitForHttp } from './lib.mjs';

const DEFAULT_PORTS = { gateway: 4000, work: 4001, permits: 4002, competence: 4003, documents: 4004, hazards: 4005, change: 4006, compliance: 4007 };
// The processes read OPSGRAPH_<NAME>_PORT themselves; the runner reads it too, to wait for them and to point the gateway at them.
const portOf = (name) => Number(process.env[`OPSGRAPH_${name.toUpperCase()}_PORT`] || DEFAULT_PORTS[name]);
const supervised = [];
let stopping = false;

async function main() {
  const pg = await ensurePostgres();
  const kafka = process.env.KAFKA_BROKERS || process.env.OPSGRAPH_KAFKA === 'start' ? await ensureKafka({ dataDir: path.join(ROOT, '.data', 'kafka') }) : { brokers: undefined, stop: async () => {} };
  if (!kafka.brokers) log('events: Postgres transport (set KAFKA_BROKERS or OPSGRAPH_KAFKA=start for Kafka)');
  const env = {
    OPSGRAPH_PG_URL: pg.url,
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    // A terminal, not a log shipper: warnings and errors (readable in development), not a line per request and event.
    OPSGRAPH_LOG_LEVEL: process.env.OPSGRAPH_LOG_LEVEL || process.env.LOG_LEVEL || 'warn',
    ...(kafka.brokers ? { KAFKA_BROKERS: kafka.brokers } : {}),
  };

  const shutdown = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    log('stopping');
    await Promise.all(supervised.map((s) => s.stop()));
    await kafka.stop();
    await pg.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());

  // A restarted process is logged once it serves again; one that keeps dying stops everything.
  const run = (name, file, extraEnv, readyPath) =>
    supervise(name, () => startChild(name, process.execPath, ['--import', 'tsx', file], { ...env, ...extraEnv }), {
      onStart: (_name, child, crashes) => {
        if (crashes === 0) return;
        waitForHttp(`http://127.0.0.1:${portOf(name)}${readyPath}`, { child, timeoutMs: 120_000 }).then(
          () => log(`${name} is serving again`),
          () => {},
        );
      },
      onGiveUp: () => void shutdown(1),
    });

  // OPSGRAPH_SERVICES=work,permits runs only some subgraphs (the gateway still serves the whole schema).
  const only = process.env.OPSGRAPH_SERVICES?.split(',').map((s) => s.trim());
  const services = SERVICES.filter((s) => existsSync(path.join(ROOT, 'services', s, 'src', 'main.ts')) && (!only || only.includes(s)));
  for (const name of services) supervised.push(run(name, `services/${name}/src/main.ts`, { OPSGRAPH_SERVICE: name }, '/ready'));
  // Subgraphs start in parallel; each creates and migrates its own database.
  await Promise.all(services.map((name, i) => waitForHttp(`http://127.0.0.1:${portOf(name)}/ready`, { alive: () => supervised[i].alive, timeoutMs: 120_000 })));
  const subgraphUrls = Object.fromEntries(SERVICES.map((s) => [`OPSGRAPH_${s.toUpperCase()}_URL`, process.env[`OPSGRAPH_${s.toUpperCase()}_URL`] || `http://127.0.0.1:${portOf(s)}/graphql`]));
  const gateway = run('gateway', 'gateway/src/main.ts', subgraphUrls, '/health');
  supervised.push(gateway);
  await waitForHttp(`http://127.0.0.1:${portOf('gateway')}/health`, { alive: () => gateway.alive, timeoutMs: 120_000 });

  const gatewayUrl = `http://127.0.0.1:${portOf('gateway')}/graphql`;
  const once = async (name, file, args = []) => {
    const child = startChild(name, process.execPath, ['--import', 'tsx', file, ...args], { ...env, OPSGRAPH_GATEWAY_URL: gatewayUrl });
    await new Promise((resolve) => child.once('exit', resolve));
  };
  if (!process.env.OPSGRAPH_NO_DEMO) await once('demo', 'scripts/demo.ts');
  await once('token', 'scripts/token.ts', ['supervisor']);
  log(`ready: gateway at ${gatewayUrl} (services: ${services.join(', ')}). Ctrl-C stops everything.`);
}

main().catch(async (err) => {
  if (stopping) return; // Ctrl-C during the start: shutdown() is already stopping everything.
  console.error(err);
  stopping = true;
  await Promise.all(supervised.map((s) => s.stop()));
  process.exit(1);
});
