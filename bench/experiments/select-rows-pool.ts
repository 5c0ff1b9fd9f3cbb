/**
 * What `selectRows` costs in Node CPU through TypeORM's `dataSource.query` (a QueryRunner per call: connect,
 * broadcaster, logger, QueryResult, release) against the same SQL on the pg Pool TypeORM's driver holds
 * (`driver.master`), from a one-row lookup to the board's 50-key batches. Rounds alternate the ways so drift
 * (JIT, garbage collection, the machine) hits all of them alike; the median round is reported.
 * Reads the benchmark's databases (seed first: npm run bench, or npx tsx bench/seed.ts).
 *
 *   OPSGRAPH_DB_PREFIX=bench npx tsx bench/experiments/select-rows-pool.ts [iterations=400] [rounds=5]
 */
import 'reflect-metadata';
import { createDataSource, databaseName, selectRows, statementScope } from '@opsgraph/core';
import type { Pool } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { entities as hazardEntities, JobHazard } from '../../services/hazards/src/entities';
import { entities as workEntities, Prerequisite, Site, WorkItem } from '../../services/work/src/entities';

process.env.OPSGRAPH_DB_PREFIX ??= 'bench';

type Way = 'dataSource.query' | 'pool.connect + client.query' | 'pool.query';
const WAYS: Way[] = ['dataSource.query', 'pool.connect + client.query', 'pool.query'];

/** A source for `selectRows` that runs its SQL the given way (the metadata still comes from `db`). */
function sourceFor(db: DataSource, way: Way): DataSource | EntityManager {
  if (way === 'dataSource.query') return db;
  const pool = (db.driver as unknown as { master: Pool }).master;
  const count = () => {
    const scope = statementScope.getStore();
    if (scope) scope.count++;
  };
  const query =
    way === 'pool.query'
      ? async (sql: string, params: unknown[]) => {
          count();
          return (await pool.query(sql, params)).rows;
        }
      : async (sql: string, params: unknown[]) => {
          count();
          const client = await pool.connect();
          try {
            return (await client.query(sql, params)).rows;
          } finally {
            client.release();
          }
        };
  return { connection: db, query } as unknown as EntityManager;
}

async function cpuPerCall(iterations: number, fn: () => Promise<unknown>) {
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await fn();
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000 / iterations;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const iterations = Number(process.argv[2] ?? 400);
  const rounds = Number(process.argv[3] ?? 5);
  const hazards = createDataSource({ database: databaseName('hazards'), entities: hazardEntities as never, migrations: [], poolSize: 2 });
  const work = createDataSource({ database: databaseName('work'), entities: workEntities as never, migrations: [], poolSize: 2 });
  await Promise.all([hazards.initialize(), work.initialize()]);
  const ids = async (db: DataSource, sql: string) => ((await db.query(sql)) as { id: string }[]).map((r) => r.id);
  const jobIds = await ids(hazards, 'SELECT DISTINCT work_item_id AS id FROM job_hazard LIMIT 50');
  const itemIds = await ids(work, `SELECT id FROM work_item WHERE status NOT IN ('DONE', 'CANCELLED') LIMIT 50`);
  const siteIds = await ids(work, 'SELECT id FROM site LIMIT 1');
  const cases: { label: string; db: DataSource; run: (source: DataSource | EntityManager) => Promise<unknown> }[] = [
    { label: 'site by id (1 row)', db: work, run: (s) => selectRows(s, Site, 'id', siteIds) },
    { label: 'job_hazard by 50 work items', db: hazards, run: (s) => selectRows(s, JobHazard, 'workItemId', jobIds, { order: { position: 'ASC' } }) },
    { label: 'prerequisite by 50 work items', db: work, run: (s) => selectRows(s, Prerequisite, 'workItemId', itemIds, { order: { createdAt: 'ASC' } }) },
    { label: 'work_item by 50 ids', db: work, run: (s) => selectRows(s, WorkItem, 'id', itemIds) },
  ];
  console.log(`${iterations} calls per way and round, ${rounds} rounds, median round (ms CPU per call)\n`);
  const results: Record<string, Record<Way, number>> = {};
  for (const c of cases) {
    const sources = WAYS.map((way) => sourceFor(c.db, way));
    for (const source of sources) for (let i = 0; i < 50; i++) await c.run(source); // warm-up (JIT, connections)
    const samples = WAYS.map(() => [] as number[]);
    for (let round = 0; round < rounds; round++) {
      // The first way of a round is rotated, so none always runs right after another's garbage.
      for (let k = 0; k < WAYS.length; k++) {
        const w = (round + k) % WAYS.length;
        samples[w].push(await cpuPerCall(iterations, () => c.run(sources[w])));
      }
    }
    const row = Object.fromEntries(WAYS.map((way, w) => [way, median(samples[w])])) as Record<Way, number>;
    results[c.label] = row;
    const base = row['dataSource.query'];
    console.log(
      `${c.label.padEnd(32)} ${WAYS.map((way) => `${way} ${row[way].toFixed(3)}${way === 'dataSource.query' ? '' : ` (${(((row[way] - base) / base) * 100).toFixed(0)} %)`}`).join('   ')}`,
    );
  }
  console.log(`BENCH_SELECT_ROWS_POOL ${JSON.stringify(results)}`);
  await Promise.all([hazards.destroy(), work.destroy()]);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
