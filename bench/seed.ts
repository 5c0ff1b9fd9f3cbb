/**
 * Seeds the benchmark plant into every service's own database (`bench_<service>` with the default
 * OPSGRAPH_DB_PREFIX=bench): runs the service's migrations first (through @opsgraph/core's openDatabase,
 * with the service's own entities and migrations), then bulk-loads the generated rows and analyzes.
 *
 *   npx tsx bench/seed.ts [--scale tiny|small|full] [--seed 42] [--force] [--anchor 2026-01-01]
 *
 * An existing seed of the same generator version, scale and seed (and an anchor date at most 14 days
 * old) is reused unless --force. The last line printed is `BENCH_MANIFEST <json>`: what the benchmark
 * runner needs (the board's site and area, the callers, the work item page's items, row counts).
 */
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { databaseName, dropDatabase, openDatabase, postgresConfig } from '@opsgraph/core';
import { bulkInsert } from './lib/bulk';
import { DAY, PLANT_VERSION, SCALES, generatePlant, type Manifest } from './lib/plant';

process.env.OPSGRAPH_DB_PREFIX ??= 'bench';
process.env.LOG_LEVEL ??= 'warn';

const ROOT = path.join(__dirname, '..');
export const SERVICES = ['work', 'permits', 'competence', 'documents', 'hazards', 'change', 'compliance'] as const;
const REUSE_DAYS = 14;

const log = (msg: string) => console.log(`[seed] ${msg}`);

function args() {
  const argv = process.argv.slice(2);
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const today = new Date();
  today.setUTCHours(0, 0, 0, 0);
  return {
    scale: value('scale') ?? 'small',
    seed: Number(value('seed') ?? 42),
    force: argv.includes('--force'),
    anchor: value('anchor') ? new Date(value('anchor')!) : today,
  };
}

/** The service's entities and migrations, or null when the service is not in this checkout yet. */
function definition(name: string): { entities: unknown[]; migrations: unknown[] } | null {
  const dir = path.join(ROOT, 'services', name, 'src');
  if (!existsSync(path.join(dir, 'entities')) || !existsSync(path.join(dir, 'migrations'))) return null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const entities = require(path.join(dir, 'entities')).entities as unknown[];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const migrations = require(path.join(dir, 'migrations')).migrations as unknown[];
  return { entities, migrations };
}

async function withClient<T>(database: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ ...postgresConfig(), database, application_name: 'opsgraph-bench-seed' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

interface Marker {
  version: number;
  scale: string;
  seed: number;
  anchor: string;
  manifest?: Manifest;
}

async function readMarkers(): Promise<Map<string, Marker>> {
  return withClient('postgres', async (client) => {
    const { rows } = await client.query(`SELECT datname, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = ANY($1)`, [SERVICES.map((s) => databaseName(s))]);
    const markers = new Map<string, Marker>();
    for (const row of rows as { datname: string; comment: string | null }[]) {
      try {
        if (row.comment) markers.set(row.datname, JSON.parse(row.comment) as Marker);
      } catch {
        /* not ours */
      }
    }
    return markers;
  });
}

async function main() {
  const { scale, seed, force, anchor } = args();
  if (!SCALES[scale]) throw new Error(`--scale must be one of ${Object.keys(SCALES).join(', ')}`);
  if (!databaseName('x').startsWith('bench')) log(`warning: OPSGRAPH_DB_PREFIX is "${process.env.OPSGRAPH_DB_PREFIX}", not bench`);
  const present = SERVICES.filter((s) => {
    const ok = definition(s) !== null;
    if (!ok) log(`service ${s} is not in this checkout yet: its domain is skipped`);
    return ok;
  });

  if (!force) {
    const markers = await readMarkers();
    const work = markers.get(databaseName('work'));
    const fresh = (m: Marker | undefined) => !!m && m.version === PLANT_VERSION && m.scale === scale && m.seed === seed && Date.now() - Date.parse(m.anchor) < REUSE_DAYS * DAY;
    if (work?.manifest && present.every((s) => fresh(markers.get(databaseName(s))))) {
      log(`reusing the existing ${scale} seed ${seed} (anchor ${work.anchor.slice(0, 10)}) in ${present.map((s) => databaseName(s)).join(', ')}`);
      console.log(`BENCH_MANIFEST ${JSON.stringify({ ...work.manifest, reused: true })}`);
      return;
    }
  }

  const started = Date.now();
  log(`generating the ${scale} plant (seed ${seed}, anchor ${anchor.toISOString().slice(0, 10)})`);
  const plant = generatePlant({ scale, seed, anchor });
  log(`generated in ${((Date.now() - started) / 1000).toFixed(1)} s; loading ${present.length} databases`);

  // The event bus of the benchmark starts empty with the data.
  await dropDatabase(databaseName('bus'));
  const counts: Record<string, Record<string, number>> = {};
  const loadOne = async (service: string) => {
    const t0 = Date.now();
    const database = databaseName(service);
    const def = definition(service)!;
    await dropDatabase(database);
    // Migrations through the service's own entities and migrations; retried, since a busy machine may
    // make the first connection miss core's 5 s connect timeout.
    for (let attempt = 1; ; attempt++) {
      try {
        const ds = await openDatabase({ database, entities: def.entities as never, migrations: def.migrations as never, poolSize: 2 });
        await ds.destroy();
        break;
      } catch (err) {
        if (attempt >= 4 || !/timeout/i.test(String(err))) throw err;
        log(`${database}: ${String(err)}; retrying`);
      }
    }
    counts[service] = {};
    await withClient(database, async (client) => {
      await client.query('SET synchronous_commit = off');
      await client.query('BEGIN');
      for (const [table, rows] of Object.entries(plant.databases[service] ?? {})) {
        counts[service][table] = await bulkInsert(client, table, rows, { log: (m) => log(`${service}: ${m}`) });
      }
      await client.query('COMMIT');
      await client.query('VACUUM ANALYZE');
    });
    const total = Object.values(counts[service]).reduce((n, c) => n + c, 0);
    log(`${database}: ${total.toLocaleString('en')} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  };
  // The work database is by far the largest: start it first, and the others beside it.
  const queue = [...present];
  const workers = Array.from({ length: 2 }, async () => {
    for (let s = queue.shift(); s; s = queue.shift()) await loadOne(s);
  });
  await Promise.all(workers);

  const manifest: Manifest = { ...plant.manifest, counts };
  await withClient('postgres', async (client) => {
    for (const service of present) {
      const marker: Marker = { version: PLANT_VERSION, scale, seed, anchor: anchor.toISOString(), ...(service === 'work' ? { manifest } : {}) };
      await client.query(`COMMENT ON DATABASE "${databaseName(service)}" IS ${client.escapeLiteral(JSON.stringify(marker))}`);
    }
  });
  log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`BENCH_MANIFEST ${JSON.stringify({ ...manifest, reused: false })}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
