import { randomBytes, randomUUID } from 'node:crypto';
import { dropDatabase } from '@opsgraph/core';
import { PostgresTransport, createTransport, startConsumer, type Transport } from '@opsgraph/events';
import { startTestProducer, sleep } from '@opsgraph/testing';
import { consumerDatabase, effectConsumer } from './fixtures/effects';
async function measure(name: string, transport: Transport) {
  const producer = await startTestProducer('permits', transport);
  await producer.relay.stop();
  const N = 1000;
  for (let i = 0; i < N; i++) await producer.record('work.hold_requested', `k${i % 50}`, { assetId: randomUUID(), reason: 'x', sourceRecordId: `r${i}` });
  const { startRelay } = await import('@opsgraph/events');
  let t = Date.now();
  const relay = startRelay(producer.db, transport);
  await relay.flush(120_000);
  console.log(name, 'relay', N, 'events in', Date.now() - t, 'ms');
  const effects = await consumerDatabase();
  t = Date.now();
  const consumer = await startConsumer(effects.db, transport, effectConsumer({ groupId: 'speed' }));
  while (consumer.stats.applied < N) await sleep(20);
  console.log(name, 'consumer', N, 'events in', Date.now() - t, 'ms');
  await consumer.stop(); await relay.stop(); await producer.close(); await effects.close();
}
async function main() {
  process.env.OPSGRAPH_TOPIC_PREFIX = `dbg-${randomBytes(3).toString('hex')}.`;
  const kafka = createTransport({ brokers: '127.0.0.1:19192' });
  await measure('kafka', kafka);
  await kafka.close();
  const db = `dbg_bus_${randomBytes(3).toString('hex')}`;
  const bus = new PostgresTransport({ database: db });
  await measure('bus', bus);
  await bus.close(); await dropDatabase(db);
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
