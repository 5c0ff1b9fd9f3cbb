import { createHash } from 'node:crypto';

/**
 * kafkajs is patched (patches/kafkajs@2.2.4.patch) to encode, partition and decode records faster. The bytes on
 * the wire must not change: this request's digest was taken from kafkajs 2.2.4's own encoder, and the records
 * must read back through kafkajs's own decoder as they were given. Keys pick the partitions Java clients pick.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0');
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const Decoder = require('kafkajs/src/protocol/decoder');
const murmur2 = require('kafkajs/src/producer/partitioners/default/murmur2');
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition');
/* eslint-enable @typescript-eslint/no-require-imports */

const t0 = Date.UTC(2026, 10, 26, 12, 0, 0);
// Null keys and values, multi-byte text, array and binary header values, and a timestamp delta past 2^31 (the Long path).
const messages = Array.from({ length: 40 }, (_, i) => ({
  key: i % 9 === 0 ? null : `key-${i}`,
  value: i % 13 === 5 ? null : Buffer.from(JSON.stringify({ n: i, text: 'é'.repeat(i), pad: 'x'.repeat(i * 37) })),
  timestamp: t0 + i * 250 + (i === 7 ? 2 ** 31 : 0),
  headers: { ce_specversion: '1.0', ce_id: `id-${i}`, 'ce_ünïcode': 'välue'.repeat(i % 4), many: ['a', `b${i}`], raw: Buffer.from([i, 255 - i]) },
}));

test('a produce request has the bytes kafkajs 2.2.4 itself writes', async () => {
  const request = produceRequest({
    acks: -1,
    timeout: 30000,
    topicData: [{ topic: 'opsgraph.work.v1', partitions: [0, 1].map((partition) => ({ partition, messages: messages.filter((_, i) => i % 2 === partition) })) }],
  });
  const bytes: Buffer = (await request.encode()).buffer;
  expect(bytes.length).toBe(33141);
  expect(createHash('sha256').update(bytes).digest('hex')).toBe('98e0196226b46f05450310fb0f6541e1ae7a6d2b34c70d34a5eaaf18bcccab33');
});

test('records read back through kafkajs own decoder as they were given', async () => {
  const records = messages.map((m, i) => encodeRecord({ key: m.key, value: m.value, headers: m.headers, offsetDelta: i, timestampDelta: m.timestamp - t0 }));
  const batch = await RecordBatch({ records, firstTimestamp: t0, maxTimestamp: messages[messages.length - 1].timestamp, lastOffsetDelta: records.length - 1 });
  const decoded = await decodeRecordBatch(new Decoder(batch.buffer));
  expect(decoded.records).toHaveLength(messages.length);
  decoded.records.forEach((record: { key: Buffer | null; value: Buffer | null; timestamp: string; headers: Record<string, Buffer | Buffer[]> }, i: number) => {
    const m = messages[i];
    expect(record.key?.toString() ?? null).toBe(m.key);
    expect(record.value?.toString() ?? null).toBe(m.value?.toString() ?? null);
    expect(record.timestamp).toBe(String(m.timestamp));
    expect(record.headers.ce_id.toString()).toBe(`id-${i}`);
    expect(record.headers['ce_ünïcode'].toString()).toBe('välue'.repeat(i % 4));
    expect((record.headers.many as Buffer[]).map(String)).toEqual(['a', `b${i}`]);
    expect([...(record.headers.raw as Buffer)]).toEqual([i, 255 - i]);
  });
});

test('headers named like Object.prototype members, and repeated ones, read back as headers', async () => {
  const headers = { constructor: 'c', toString: ['t1', 't2'], ['__proto__']: 'p' };
  const batch = await RecordBatch({ records: [encodeRecord({ key: 'k', value: Buffer.from('v'), headers, offsetDelta: 0, timestampDelta: 0 })], firstTimestamp: t0, maxTimestamp: t0 });
  const [record] = (await decodeRecordBatch(new Decoder(batch.buffer))).records;
  expect(Object.keys(record.headers)).toEqual(['constructor', 'toString', '__proto__']);
  expect(String(record.headers.constructor)).toBe('c');
  expect(record.headers.toString.map(String)).toEqual(['t1', 't2']);
  expect(String(Object.getOwnPropertyDescriptor(record.headers, '__proto__')!.value)).toBe('p');
  expect(Object.getPrototypeOf(record.headers)).toBe(Object.prototype);
});

test("the partitioner's murmur2 gives the Java client's hashes (Kafka's own test vectors), so keys keep their partitions", () => {
  const vectors: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [key, hash] of vectors) {
    expect(murmur2(key)).toBe(hash);
    expect(murmur2(Buffer.from(key))).toBe(hash);
  }
});

test('messages are grouped by partition, each group in the order given', () => {
  const messages = Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 7}`, value: String(i) }));
  const groups = groupMessagesPerPartition({ topic: 't', partitionMetadata: [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }], messages, partitioner: ({ message }: { message: { key: string } }) => Number(message.key.slice(1)) % 3 });
  expect(Object.keys(groups)).toEqual(['0', '1', '2']);
  for (const [partition, group] of Object.entries(groups) as [string, { key: string; value: string }[]][]) {
    expect(group).toEqual(messages.filter((m) => Number(m.key.slice(1)) % 3 === Number(partition)));
  }
});
