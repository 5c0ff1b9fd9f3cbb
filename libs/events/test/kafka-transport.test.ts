import { randomUUID } from 'node:crypto';
import { KafkaTransport, createTransport, type ReceivedMessage, type Transport } from '@opsgraph/events';
import { captureLogs, eventually, sleep, testBrokers } from '@opsgraph/testing';

/**
 * The Kafka transport hands the batches of one fetch (one per partition) to the consumer together, so that
 * they are applied in one transaction; each partition's order holds and every partition's offset is
 * committed once the hand-over is done. Creating a topic that another client creates at the same moment
 * (a relay and a consumer at a first start) is no warning.
 */
const TOPIC = `opsgraph.handover-${randomUUID().slice(0, 8)}.v1`;
let transport: Transport;
beforeAll(() => {
  transport = createTransport({ brokers: testBrokers() });
});
afterAll(() => transport.close());

const message = (key: string, n: number) => ({ topic: TOPIC, key, value: Buffer.from(JSON.stringify({ n })), headers: { n: String(n) } });

/** Subscribes and records every hand-over until `stop`. */
async function receive(groupId: string) {
  const handOvers: ReceivedMessage[][] = [];
  const subscription = await transport.subscribe({ groupId, topics: [TOPIC], fromBeginning: true, onBatch: async (messages) => void handOvers.push(messages) });
  return { handOvers, received: () => handOvers.flat(), stop: () => subscription.stop() };
}

test('the batches of several partitions come in one hand-over, each partition in order, and their offsets are committed', async () => {
  // Waiting before the group starts: its first fetch finds all three partitions filled.
  const keys = Array.from({ length: 12 }, (_, i) => `record-${i}`);
  await transport.publish(keys.flatMap((key, k) => [0, 1, 2].map((step) => message(key, k * 3 + step))));
  const groupId = `handover-${randomUUID()}`;
  const first = await receive(groupId);
  await eventually(async () => first.received().length === 36, 30_000);
  await first.stop();

  expect(first.handOvers.some((messages) => new Set(messages.map((m) => m.partition)).size > 1)).toBe(true);
  const byPartition = new Map<number, bigint[]>();
  for (const m of first.received()) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), BigInt(m.offset)]);
  expect(byPartition.size).toBeGreaterThan(1);
  for (const offsets of byPartition.values()) expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : 1)));
  // Each record's three messages in the order they were sent.
  for (const [k, key] of keys.entries()) expect(first.received().filter((m) => m.key === key).map((m) => Number(m.headers.n))).toEqual([k * 3, k * 3 + 1, k * 3 + 2]);

  // The same group again: everything handed over was committed, on every partition; only what is new comes.
  await transport.publish(keys.map((key, k) => message(key, 100 + k)));
  const again = await receive(groupId);
  await eventually(async () => again.received().length >= 12, 30_000);
  await sleep(500); // nothing more arrives
  await again.stop();
  expect(again.received().map((m) => Number(m.headers.n)).sort((a, b) => a - b)).toEqual(keys.map((_, k) => 100 + k));
});

test('two clients creating the same new topic at once: one wins, the other is told it exists, and no warning is logged', async () => {
  const clients = [0, 1, 2].map(() => new KafkaTransport({ brokers: testBrokers().split(',') }));
  const logs = captureLogs('debug');
  try {
    // Each client lists the topics, finds none, and asks to create them: all but one are refused as "already exists".
    const topics = [0, 1, 2, 3, 4].map(() => `opsgraph.race-${randomUUID().slice(0, 8)}.v1`);
    for (const topic of topics) await Promise.all(clients.map((client) => client.ensureTopics([topic])));
  } finally {
    logs.stop();
    await Promise.all(clients.map((client) => client.close()));
  }
  // The race happened (kafkajs logged a refused CreateTopics), and it was not a warning.
  const refusals = logs.lines.filter((line) => line.msg === 'kafka: Response CreateTopics(key: 19, version: 3)');
  expect(refusals.length).toBeGreaterThan(0);
  expect(refusals.every((line) => line.level === 20)).toBe(true);
  expect(logs.lines.filter((line) => line.level >= 40)).toEqual([]);
});
