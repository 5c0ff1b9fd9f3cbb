/**
 * What Work's change set costs per item for a consumer's groups: EXP_ITEMS items get a permit prerequisite
 * (BLOCKED) in one transaction and have it satisfied (READY) in a second, as two groups of permit events do;
 * Node CPU (this process) and Postgres CPU (the backend, from /proc: Linux only) per item, averaged over
 * EXP_ROUNDS groups after a warm-up. Everything in one throwaway database.
 *
 *   npx tsx bench/experiments/change-set-flush.ts          (EXP_ITEMS=250 EXP_ROUNDS=40)
 */
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { SYSTEM_CALLER, dropDatabase, envInt, openDatabase } from '@opsgraph/core';
import { ChangeSet } from '../../services/work/src/domain/change-set';
import { createAsset, createSite } from '../../services/work/src/domain/locations';
import { createWorkItemIn, inTransaction, raisePrerequisite, setPrerequisitesFromSource } from '../../services/work/src/domain/work-items';
import { entities } from '../../services/work/src/entities';
import { migrations } from '../../services/work/src/migrations';

const ITEMS = envInt('EXP_ITEMS', 250);
const ROUNDS = envInt('EXP_ROUNDS', 40);

/** CPU ms of a process so far (user + system), from /proc; a process that has ended keeps its last reading. */
const lastCpu = new Map<number, number>();
const cpuOf = (pid: number) => {
  if (existsSync(`/proc/${pid}/stat`)) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    lastCpu.set(pid, (Number(fields[11]) + Number(fields[12])) * 10);
  }
  return lastCpu.get(pid) ?? 0;
};

async function main() {
  process.env.LOG_LEVEL ??= 'warn';
  const database = `exp_changeset_${randomBytes(4).toString('hex')}`;
  const db = await openDatabase({ database, entities, migrations, poolSize: 2 });
  try {
    const site = await createSite(db.manager, SYSTEM_CALLER, { code: 'EXP', name: 'Experiment' });
    const asset = await createAsset(db.manager, SYSTEM_CALLER, { siteId: site.id, code: 'P-1', name: 'Pump' });
    // Fresh items for every group (warm-up included), each with one prerequisite as in the event benchmark.
    const all: string[] = [];
    while (all.length < (ROUNDS + 5) * ITEMS) {
      await db.transaction((m) =>
        inTransaction(m, SYSTEM_CALLER, undefined, async (ctx) => {
          for (let i = 0; i < ITEMS; i++) all.push((await createWorkItemIn(ctx, { type: 'MAINTENANCE', title: `Item ${all.length}`, siteId: site.id, assetId: asset.id })).id);
        }),
      );
    }
    await db.query('DELETE FROM outbox_pending'); // the items' creation events count as published
    await db.query('VACUUM ANALYZE');
    // Two groups, as the consumer sees them: the permits' requirements, then their satisfaction (each group
    // loads what it touches up front, as the consumer's unit of work does).
    let next = 0;
    const round = async () => {
      const ids = all.slice(next, (next += ITEMS));
      const permits = ids.map(() => randomUUID());
      await db.transaction(async (manager) => {
        const changes = new ChangeSet(manager);
        await changes.load(ids);
        const ctx = { manager, caller: SYSTEM_CALLER, changes };
        for (const [i, id] of ids.entries()) raisePrerequisite(ctx, await changes.lock(id), { kind: 'PERMIT_VALID', description: 'Permit issued', sourceDomain: 'PERMITS', sourceRecordId: permits[i] });
        await changes.flush();
      });
      await db.transaction(async (manager) => {
        const changes = new ChangeSet(manager);
        const sources = permits.map((recordId) => ({ domain: 'PERMITS' as const, recordId }));
        await changes.load([], sources);
        const ctx = { manager, caller: SYSTEM_CALLER, changes };
        for (const source of sources) await setPrerequisitesFromSource(ctx, source, 'SATISFIED', null);
        await changes.flush();
      });
    };
    for (let i = 0; i < 5; i++) await round(); // warm-up: JIT, plans
    // Every backend of the pool (both are open by now), whichever a round runs on.
    const pids: number[] = (await db.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database])).map((r: { pid: number }) => r.pid).filter((pid: number) => existsSync(`/proc/${pid}/stat`));
    const backends = () => pids.reduce((sum, pid) => sum + cpuOf(pid), 0);
    const node0 = process.cpuUsage();
    const pg0 = backends();
    for (let i = 0; i < ROUNDS; i++) await round();
    const cpu = process.cpuUsage(node0);
    const node = (cpu.user + cpu.system) / 1000;
    const postgres = backends() - pg0;
    const perItem = (ms: number) => ((ms / (ROUNDS * ITEMS)) * 1000).toFixed(1);
    console.log(`${ITEMS} items per group, ${ROUNDS} groups: Node ${perItem(node)} µs, Postgres ${perItem(postgres)} µs per item raised and released (two events)`);
  } finally {
    await db.destroy();
    await dropDatabase(database);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
