/**
 * Event backbone benchmark: pushes permit blockers and releases through a producer's outbox → relay →
 * transport → Work's consumer (real handlers, real Work database, in a process of its own as in production),
 * for Kafka and for the Postgres bus in the same run, in two phases:
 *   - burst: BENCH_EVENTS events written as fast as BENCH_WRITERS concurrent writers go → throughput. Each
 *     writer transaction raises (then, in a second one, releases) the permits of BENCH_PER_TX items, as a
 *     permit covering several jobs or a change raising checks on several items does;
 *   - paced: BENCH_PACED events at BENCH_RATE per second, below capacity → commit-to-effect latency
 *     (from the producer's commit to the end of Work's handler; Work commits right after).
 *
 *   KAFKA_BROKERS=127.0.0.1:19092 npx tsx bench/events.ts      (without KAFKA_BROKERS a private broker is started)
 *   BENCH_EVENTS=30000 BENCH_WRITERS=8 BENCH_PER_TX=10 BENCH_PACED=200 BENCH_RATE=20 BENCH_TIMEOUT_S=180
 *   BENCH_WORK_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'   (Node flags for Work's process, e.g. a profile)
 *   BENCH_WORK_RELAY=separate   (Work's relay in a process of its own, OPSGRAPH_EVENT_TASKS=relay; default same)
 *   BENCH_GROUP_SIZE=500        (events per consumer transaction; default the consumer's, 250)
 *   BENCH_SUSTAINED_RATE=2000 BENCH_SUSTAINED_S=20   (a third phase: that rate offered steadily, commit-to-effect p50/p99 under it)
 *   BENCH_RELAY_BATCH=1000      (outbox rows per relay send, both relays; default the relay's, 200)
 *   BENCH_TRANSPORTS=kafka      (only these transports: kafka, postgres-bus; default both)
 *
 * Loopback only; everything it creates (databases, topic prefix, bus database) is its own and removed.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { SYSTEM_CALLER, dropDatabase, envInt, eventTasks, openDatabase } from '@opsgraph/core';
import { PostgresTransport, createTransport, startConsumer, startRelay, type EventHandlers, type Transport } from '@opsgraph/events';
import { sleep, startPrivateKafka, startTestProducer, type PrivateKafka } from '@opsgraph/testing';
import { workConsumer } from '../services/work/src/consumer';
import { createWorkItemIn, inTransaction } from '../services/work/src/domain/work-items';
import { createAsset, createSite } from '../services/work/src/domain/locations';
import { entities } from '../services/work/src/entities';
import { migrations } from '../services/work/src/migrations';

const EVENTS = envInt('BENCH_EVENTS', 30_000);
const WRITERS = envInt('BENCH_WRITERS', 8);
const PER_TX = envInt('BENCH_PER_TX', 10);
const PACED = envInt('BENCH_PACED', 200);
const RATE = envInt('BENCH_RATE', 20);
const TIMEOUT_MS = envInt('BENCH_TIMEOUT_S', 180) * 1000;
/** `same`: Work's relay and consumer in one process (the default deployment); `separate`: two processes. */
const RELAY = process.env.BENCH_WORK_RELAY === 'separate' ? 'separate' : 'same';
/** Outbox rows per relay send, for the producer's relay and Work's (default the relay's, 200). */
const RELAY_OPTIONS = process.env.BENCH_RELAY_BATCH ? { batchSize: envInt('BENCH_RELAY_BATCH', 200) } : undefined;
// Each item's permit sends: required → the item is blocked; satisfied → READY again.
const PERMIT_EVENTS = ['prerequisite.required', 'prerequisite.satisfied'] as const;
const BURST_ITEMS = Math.ceil(EVENTS / PERMIT_EVENTS.length);
const PACED_ITEMS = Math.ceil(PACED / PERMIT_EVENTS.length);
/** Sustained phase (off unless set): this many events per second offered for BENCH_SUSTAINED_S seconds. */
const SUSTAINED_RATE = envInt('BENCH_SUSTAINED_RATE', 0);
const SUSTAINED_S = envInt('BENCH_SUSTAINED_S', 20);
/** Which transports to run (default both, Kafka first). */
const TRANSPORTS = (process.env.BENCH_TRANSPORTS ?? 'kafka,postgres-bus').split(',').map((t) => t.trim());
const SUSTAINED_ITEMS = Math.ceil((SUSTAINED_RATE * SUSTAINED_S) / PERMIT_EVENTS.length);

interface Result {
  transport: string;
  events: number;
  seconds: number;
  perSecond: number;
  /** How fast the writers committed the burst: the applied rate cannot beat it. */
  writtenPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  /** The sustained phase, when asked for: the rate the writers reached and commit-to-effect under it. */
  sustained?: { perSecond: number; p50: number; p99: number; max: number };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function run(name: string, transport: Transport): Promise<Result> {
  const workDatabase = `bench_work_${randomBytes(4).toString('hex')}`;
  const work = await openDatabase({ database: workDatabase, entities, migrations, poolSize: 10 });
  const producer = await startTestProducer('permits', transport, RELAY_OPTIONS);
  try {
    // A site, an asset and the items the permits will block and release.
    const site = await createSite(work.manager, SYSTEM_CALLER, { code: 'BEN', name: 'Bench plant' });
    const asset = await createAsset(work.manager, SYSTEM_CALLER, { siteId: site.id, code: 'P-1', name: 'Pump' });
    const items: string[] = [];
    const ITEMS = BURST_ITEMS + PACED_ITEMS + SUSTAINED_ITEMS;
    while (items.length < ITEMS) {
      const count = Math.min(500, ITEMS - items.length);
      await work.transaction((m) =>
        inTransaction(m, SYSTEM_CALLER, undefined, async (ctx) => {
          for (let i = 0; i < count; i++) items.push((await createWorkItemIn(ctx, { type: 'MAINTENANCE', title: `Bench ${items.length}`, siteId: site.id, assetId: asset.id })).id);
        }),
      );
    }
    // The plant existed before the run: its items' creation events were published long ago, and its tables
    // have the planner statistics a running database has.
    await work.query('DELETE FROM outbox_pending');
    await work.query('VACUUM ANALYZE');

    // Both sides keyed by event id and matched at the end: a relay can see a commit before the
    // committing client has heard back from it, so an event may be applied before its commit is noted.
    const committedAt = new Map<string, number>();
    const appliedAt = new Map<string, number>();
    // Work's consumer and its relay in a process of their own, as in production, reporting what it applied;
    // with BENCH_WORK_RELAY=separate the relay runs in a second process (OPSGRAPH_EVENT_TASKS=relay).
    const startWork = async (tasks: string) => {
      const child = spawn(process.execPath, [...(process.env.BENCH_WORK_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', __filename], {
        env: { ...process.env, BENCH_EVENTS_ROLE: 'work', OPSGRAPH_EVENT_TASKS: tasks, BENCH_WORK_DATABASE: workDatabase, BENCH_TRANSPORT: name, OPSGRAPH_BUS_DATABASE: transport instanceof PostgresTransport ? transport.database : '' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      await new Promise<void>((resolve, reject) => {
        child.on('message', (m: 'ready' | [string, number][]) => (m === 'ready' ? resolve() : m.forEach(([id, at]) => appliedAt.set(id, at))));
        child.once('exit', (code) => reject(new Error(`the Work process (${tasks}) exited (${code})`)));
      });
      return { stop: async () => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      } };
    };
    const separateRelay = RELAY === 'separate';
    const consumer = await startWork(separateRelay ? 'consume' : 'relay,consume');
    const workRelay = separateRelay ? await startWork('relay') : { stop: async () => undefined };
    /** Sends the permit events of some items (a transaction per kind of event); returns their ids once committed. */
    const sendPermits = async (workItemIds: string[]) => {
      const permits = workItemIds.map((workItemId) => ({ workItemId, permitId: randomUUID() }));
      const data = {
        'prerequisite.required': (p: (typeof permits)[number]) => ({ workItemId: p.workItemId, kind: 'PERMIT_VALID', sourceRecordId: p.permitId, description: 'Permit issued' }),
        'prerequisite.satisfied': (p: (typeof permits)[number]) => ({ sourceRecordId: p.permitId }),
      };
      const ids: string[] = [];
      for (const type of PERMIT_EVENTS) {
        const committed = await producer.recordAll(permits.map((p) => ({ type, subject: p.permitId, data: data[type](p) })));
        const now = Date.now();
        for (const id of committed) committedAt.set(id, now);
        ids.push(...committed);
      }
      return ids;
    };
    const allApplied = async (ids: string[]) => {
      const deadline = Date.now() + TIMEOUT_MS;
      const pending = () => ids.filter((id) => !appliedAt.has(id)).length;
      while (pending() && Date.now() < deadline) await sleep(20);
      if (pending()) throw new Error(`${name}: ${pending()} of ${ids.length} events not applied within ${TIMEOUT_MS / 1000} s`);
    };
    try {
      // Warm-up: the group has joined and the topics exist before the clock starts.
      await allApplied(await sendPermits([items[0]]));

      const started = Date.now();
      const burstIds: string[] = [];
      let next = 1;
      const writer = async () => {
        while (next < BURST_ITEMS) {
          const from = next;
          next = Math.min(BURST_ITEMS, next + PER_TX);
          burstIds.push(...(await sendPermits(items.slice(from, next))));
        }
      };
      await Promise.all(Array.from({ length: WRITERS }, writer));
      const writeSeconds = (Date.now() - started) / 1000;
      await allApplied(burstIds);
      const seconds = (Math.max(...burstIds.map((id) => appliedAt.get(id)!)) - started) / 1000;

      const pacedIds: string[] = [];
      for (let i = 0; i < PACED_ITEMS; i++) {
        const due = Date.now() + (1000 * PERMIT_EVENTS.length) / RATE;
        pacedIds.push(...(await sendPermits([items[BURST_ITEMS + i]])));
        await sleep(Math.max(0, due - Date.now()));
      }
      await allApplied(pacedIds);
      // An event applied before its commit was noted counts as 0 ms.
      const latencies = (ids: string[]) => ids.map((id) => Math.max(0, appliedAt.get(id)! - committedAt.get(id)!)).sort((a, b) => a - b);
      const sorted = latencies(pacedIds);

      // Sustained: the writers offer SUSTAINED_RATE events per second (each call, at its due time, the permits
      // of PER_TX items) for SUSTAINED_S seconds; commit-to-effect of every event under that load.
      let sustained: Result['sustained'];
      if (SUSTAINED_ITEMS) {
        const sustainedIds: string[] = [];
        const end = BURST_ITEMS + PACED_ITEMS + SUSTAINED_ITEMS;
        let nextItem = BURST_ITEMS + PACED_ITEMS;
        let calls = 0;
        const callsPerSecond = SUSTAINED_RATE / (PERMIT_EVENTS.length * PER_TX);
        const startedAt = Date.now();
        const writer = async () => {
          while (nextItem < end) {
            const due = startedAt + (calls++ * 1000) / callsPerSecond;
            await sleep(Math.max(0, due - Date.now()));
            const from = nextItem;
            nextItem = Math.min(end, nextItem + PER_TX);
            if (from < nextItem) sustainedIds.push(...(await sendPermits(items.slice(from, nextItem))));
          }
        };
        await Promise.all(Array.from({ length: WRITERS }, writer));
        const offeredSeconds = (Date.now() - startedAt) / 1000;
        await allApplied(sustainedIds);
        const under = latencies(sustainedIds);
        sustained = { perSecond: sustainedIds.length / offeredSeconds, p50: percentile(under, 50), p99: percentile(under, 99), max: under[under.length - 1] };
      }
      return { transport: name, events: burstIds.length, seconds, perSecond: burstIds.length / seconds, writtenPerSecond: burstIds.length / writeSeconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1], sustained };
    } finally {
      await consumer.stop();
      await workRelay.stop();
    }
  } finally {
    await producer.close();
    await work.destroy();
    await dropDatabase(workDatabase);
  }
}

/** The Work side of a run, in its own process: relay and consumer (or one of them) on the run's database and transport. */
async function workSide() {
  const tasks = eventTasks();
  const work = await openDatabase({ database: process.env.BENCH_WORK_DATABASE!, entities, migrations, poolSize: 10 });
  const transport = process.env.BENCH_TRANSPORT === 'kafka' ? createTransport({ brokers: process.env.KAFKA_BROKERS }) : new PostgresTransport({ database: process.env.OPSGRAPH_BUS_DATABASE });
  let applied: [string, number][] = [];
  const handlers: EventHandlers = {};
  for (const [type, handler] of Object.entries(workConsumer.handlers)) {
    handlers[type] = async (event, manager, unit) => {
      await handler(event, manager, unit);
      applied.push([event.id, Date.now()]);
    };
  }
  // Work publishes what the events cause, as in production.
  const relay = tasks.includes('relay') ? startRelay(work, transport, RELAY_OPTIONS) : null;
  const groupSize = process.env.BENCH_GROUP_SIZE ? envInt('BENCH_GROUP_SIZE', 250) : undefined; // else the consumer's default
  const consumer = tasks.includes('consume') ? await startConsumer(work, transport, { ...workConsumer, handlers, ...(groupSize && { groupSize }) }) : null;
  const report = setInterval(() => {
    if (!applied.length) return;
    process.send!(applied);
    applied = [];
  }, 20);
  process.send!('ready');
  process.once('SIGTERM', async () => {
    clearInterval(report);
    await consumer?.stop();
    await relay?.stop();
    await transport.close();
    await work.destroy();
    process.exit(0);
  });
}

async function main() {
  process.env.LOG_LEVEL ??= 'warn';
  process.env.OPSGRAPH_TOPIC_PREFIX = `bench-${randomBytes(4).toString('hex')}.`;
  let privateKafka: PrivateKafka | null = null;
  let brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    console.log('KAFKA_BROKERS not set: starting a private broker (infra/kafka)');
    privateKafka = await startPrivateKafka();
    brokers = privateKafka.brokers;
    process.env.KAFKA_BROKERS = brokers; // for the Work process
  }
  const busDatabase = `bench_bus_${randomBytes(4).toString('hex')}`;
  const kafka = createTransport({ brokers });
  const bus = new PostgresTransport({ database: busDatabase });
  const results: Result[] = [];
  try {
    console.log(`burst: ${EVENTS} events from ${WRITERS} concurrent writers, ${PER_TX} items per transaction; paced: ${PACED} events at ${RATE}/s, one item per transaction; Work's relay and consumer in ${RELAY === 'same' ? 'one process' : 'two processes'}`);
    if (TRANSPORTS.includes('kafka')) results.push(await run('kafka', kafka));
    if (TRANSPORTS.includes('postgres-bus')) results.push(await run('postgres-bus', bus));
  } finally {
    await kafka.close();
    await bus.close();
    await dropDatabase(busDatabase);
    await privateKafka?.destroy();
  }
  console.table(results.map((r) => ({ transport: r.transport, 'burst events': r.events, seconds: r.seconds.toFixed(1), 'events/s': r.perSecond.toFixed(0), 'written/s': r.writtenPerSecond.toFixed(0), 'paced p50 ms': r.p50, 'p99 ms': r.p99, 'max ms': r.max })));
  if (SUSTAINED_ITEMS) {
    console.log(`sustained: ${SUSTAINED_RATE} events/s offered for ${SUSTAINED_S} s by ${WRITERS} writers (${PER_TX} items per transaction), commit-to-effect of every event:`);
    console.table(results.map((r) => ({ transport: r.transport, 'events/s reached': r.sustained!.perSecond.toFixed(0), 'p50 ms': r.sustained!.p50, 'p99 ms': r.sustained!.p99, 'max ms': r.sustained!.max })));
  }
  const [k, p] = results;
  if (results.length === 2) console.log(`kafka / postgres-bus: throughput ×${(k.perSecond / p.perSecond).toFixed(2)}, p50 latency ×${(k.p50 / p.p50).toFixed(2)}, p99 latency ×${(k.p99 / p.p99).toFixed(2)}`);
}

(process.env.BENCH_EVENTS_ROLE === 'work' ? workSide() : main()).then(
  () => process.env.BENCH_EVENTS_ROLE === 'work' || process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
