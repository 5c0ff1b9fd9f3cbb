/**
 * What one batched loader statement costs in Node CPU: the same lookup (the rows of 50 work items) through
 * TypeORM the way @opsgraph/core's loaderGrouped/loaderBy do it (`repository.find({ where: { col: In(keys) } })`,
 * every column, entity hydration), through TypeORM's raw `dataSource.query`, and through `pg` directly.
 * Reads the benchmark's hazards and work databases (seed first: npm run bench, or npx tsx bench/seed.ts).
 *
 *   OPSGRAPH_DB_PREFIX=bench npx tsx bench/experiments/orm-overhead.ts [iterations=300]
 */
import 'reflect-metadata';
import { createDataSource, databaseName, postgresConfig } from '@opsgraph/core';
import { Pool } from 'pg';
import { In } from 'typeorm';
import { entities as hazardEntities, JobHazard } from '../../services/hazards/src/entities';
import { entities as workEntities, Prerequisite, WorkItem } from '../../services/work/src/entities';

process.env.OPSGRAPH_DB_PREFIX ??= 'bench';

async function measure(label: string, iterations: number, fn: () => Promise<unknown>) {
  for (let i = 0; i < 30; i++) await fn(); // warm-up (JIT, connections)
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) await fn();
  const cpu = process.cpuUsage(cpu0);
  const ms = (cpu.user + cpu.system) / 1000 / iterations;
  console.log(`${label.padEnd(58)} ${ms.toFixed(2).padStart(6)} ms CPU/statement  ${((performance.now() - t0) / iterations).toFixed(2).padStart(6)} ms wall`);
  return ms;
}

async function main() {
  const iterations = Number(process.argv[2] ?? 300);
  const hazards = createDataSource({ database: databaseName('hazards'), entities: hazardEntities as never, migrations: [], poolSize: 2 });
  const work = createDataSource({ database: databaseName('work'), entities: workEntities as never, migrations: [], poolSize: 2 });
  await Promise.all([hazards.initialize(), work.initialize()]);
  const pools = { hazards: new Pool({ ...postgresConfig(), database: databaseName('hazards'), max: 2 }), work: new Pool({ ...postgresConfig(), database: databaseName('work'), max: 2 }) };
  const jobIds = (await pools.hazards.query('SELECT DISTINCT work_item_id FROM job_hazard LIMIT 50')).rows.map((r) => r.work_item_id as string);
  const itemIds = (await pools.work.query(`SELECT id FROM work_item WHERE status NOT IN ('DONE', 'CANCELLED') LIMIT 50`)).rows.map((r) => r.id as string);
  console.log(`${iterations} iterations, 50 keys per statement\n`);
  const results: Record<string, number> = {};
  results.jobHazardOrm = await measure('job_hazard by work item: repository.find (core loader)', iterations, () => hazards.getRepository(JobHazard).find({ where: { workItemId: In(jobIds) }, order: { position: 'ASC' } }));
  results.jobHazardRaw = await measure('job_hazard by work item: dataSource.query (raw rows)', iterations, () => hazards.query('SELECT * FROM job_hazard WHERE work_item_id = ANY($1) ORDER BY position', [jobIds]));
  results.jobHazardPg = await measure('job_hazard by work item: pg pool.query', iterations, () => pools.hazards.query('SELECT * FROM job_hazard WHERE work_item_id = ANY($1) ORDER BY position', [jobIds]));
  results.prereqOrm = await measure('prerequisite by work item: repository.find (core loader)', iterations, () => work.getRepository(Prerequisite).find({ where: { workItemId: In(itemIds) }, order: { createdAt: 'ASC' } }));
  results.prereqPg = await measure('prerequisite by work item: pg pool.query', iterations, () => pools.work.query('SELECT * FROM prerequisite WHERE work_item_id = ANY($1) ORDER BY created_at', [itemIds]));
  results.itemOrm = await measure('work_item by id: repository.find (core loaderBy)', iterations, () => work.getRepository(WorkItem).find({ where: { id: In(itemIds) } }));
  results.itemPg = await measure('work_item by id: pg pool.query', iterations, () => pools.work.query('SELECT * FROM work_item WHERE id = ANY($1)', [itemIds]));
  console.log(`\nTypeORM find costs ${(results.jobHazardOrm / results.jobHazardPg).toFixed(1)}× / ${(results.prereqOrm / results.prereqPg).toFixed(1)}× / ${(results.itemOrm / results.itemPg).toFixed(1)}× the Node CPU of the same statement through pg`);
  console.log(`BENCH_ORM ${JSON.stringify(results)}`);
  await Promise.all([hazards.destroy(), work.destroy(), pools.hazards.end(), pools.work.end()]);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
