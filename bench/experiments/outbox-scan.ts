/**
 * Experiment: what the relay's batch SELECT costs while writers keep the outbox busy (no broker: the
 * transport only waits 1 ms per send, as an acknowledgement would).
 *   OPSGRAPH_PG_URL=postgres://postgres@127.0.0.1:5433 npx tsx bench/experiments/outbox-scan.ts
 */
import { randomUUID } from 'node:crypto';
import { dropDatabase, openDatabase } from '@opsgraph/core';
import { outboxEntities, outboxMigrations, recordEvents, startRelay, type Transport } from '@opsgraph/events';
import { sleep } from '@opsgraph/testing';

async function main() {
  const database = `exp_outbox_${Date.now()}`;
  const db = await openDatabase({ database, entities: outboxEntities, migrations: outboxMigrations, poolSize: 10 });
  const transport = { kind: 'kafka', publish: async () => sleep(1), subscribe: async () => ({ stop: async () => undefined }), close: async () => undefined } as unknown as Transport;
  const relay = process.env.EXP_NO_RELAY ? { stats: { published: 0, batches: 0 }, flush: async () => undefined, stop: async () => undefined } : startRelay(db, transport);
  const seconds = Number(process.env.EXP_SECONDS ?? 20);
  const rate = Number(process.env.EXP_RATE ?? 2000);
  const started = Date.now();
  let calls = 0;
  const writer = async () => {
    while (Date.now() - started < seconds * 1000) {
      const due = started + (calls++ * 10 * 1000 * 8) / rate / 8;
      await sleep(Math.max(0, due - Date.now()));
      await db.transaction((m) => recordEvents(m, Array.from({ length: 10 }, () => ({ domain: 'permits' as const, type: 'prerequisite.satisfied', subject: randomUUID(), data: { sourceRecordId: randomUUID() } }))));
    }
  };
  const explain = async () => {
    const plan = await db.query(`EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM outbox_pending ORDER BY id LIMIT 200 FOR UPDATE SKIP LOCKED`);
    return plan.map((r: Record<string, string>) => Object.values(r)[0]).join('\n');
  };
  const probes = (async () => {
    if (process.env.EXP_EXPLAIN === '0') return;
    for (let i = 1; i <= 4; i++) {
      await sleep((seconds * 1000) / 5);
      console.log(`--- after ${Math.round((Date.now() - started) / 1000)} s, ${relay.stats.published} published\n${await explain()}`);
    }
  })();
  await Promise.all([...Array.from({ length: 8 }, writer), probes]);
  await relay.flush();
  console.log(`published ${relay.stats.published} in ${relay.stats.batches} batches`);
  await relay.stop();
  await db.destroy();
  await dropDatabase(database);
}
main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
