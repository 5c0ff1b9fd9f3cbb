import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { dropDatabase, openDatabase } from '@opsgraph/core';
import {
  outboxEntities,
  outboxMigrations,
  recordEvent,
  recordEvents,
  startRelay,
  type Domain,
  type ReceivedMessage,
  type Relay,
  type RelayOptions,
  type Transport,
} from '@opsgraph/events';
import type { DataSource } from 'typeorm';
import { uniqueDatabase } from './services';

// Jest gives every test file its own process.env: a fresh topic/group prefix here keeps parallel test files
// (which share one broker) from seeing each other's events, and short group timings keep joins fast.
if (process.env.JEST_WORKER_ID) {
  process.env.OPSGRAPH_TOPIC_PREFIX = `t-${randomBytes(5).toString('hex')}.`;
  process.env.OPSGRAPH_BUS_DATABASE ??= 'opsgraph_test_bus';
  process.env.KAFKA_SESSION_TIMEOUT_MS ??= '6000';
  process.env.KAFKA_HEARTBEAT_INTERVAL_MS ??= '500';
  process.env.KAFKA_REBALANCE_TIMEOUT_MS ??= '3000';
  process.env.KAFKA_MAX_WAIT_MS ??= '100';
}

/** The run's broker (the test runner starts one and sets KAFKA_BROKERS); refuses clearly when there is none. */
export function testBrokers(): string {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error('KAFKA_BROKERS is not set: run `node scripts/test.mjs`, or start a broker with `node infra/kafka/cli.mjs start` and export KAFKA_BROKERS');
  return brokers;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value; on timeout fails with the last value or error it saw. */
export async function eventually<T>(check: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`eventually: not true after ${timeoutMs} ms (last: ${detail})`);
    }
    await sleep(intervalMs);
  }
}

/**
 * Reads what arrives on a topic (from its beginning) through `transport` with a group of its own, until
 * `done(messages)` holds. Used to look at the dead-letter topic and at what a relay published.
 */
export async function readTopic(transport: Transport, topic: string, done: (messages: ReceivedMessage[]) => boolean, timeoutMs = 30_000): Promise<ReceivedMessage[]> {
  const messages: ReceivedMessage[] = [];
  const subscription = await transport.subscribe({
    groupId: `reader-${randomBytes(4).toString('hex')}`,
    topics: [topic],
    fromBeginning: true,
    onBatch: async (batch) => {
      messages.push(...batch);
    },
  });
  try {
    await eventually(() => done(messages), timeoutMs);
    return messages;
  } finally {
    await subscription.stop();
  }
}

/**
 * A stand-in for a supporting service's producing side: its own database with an outbox, `record` to write
 * events as a domain transaction would, and the shared relay publishing them.
 */
export interface TestProducer {
  db: DataSource;
  relay: Relay;
  /** Records one event of `domain` in its own transaction; returns the event id. */
  record(type: string, subject: string, data: Record<string, unknown>, options?: { requestId?: string }): Promise<string>;
  /** Records several events of `domain` in one transaction, in order; returns their ids. */
  recordAll(events: { type: string; subject: string; data: Record<string, unknown> }[]): Promise<string[]>;
  close(): Promise<void>;
}

export async function startTestProducer(domain: Domain, transport: Transport, relayOptions?: RelayOptions): Promise<TestProducer> {
  const database = uniqueDatabase(`${domain}_producer`);
  const db = await openDatabase({ database, entities: outboxEntities, migrations: outboxMigrations, poolSize: 4 });
  const relay = startRelay(db, transport, relayOptions);
  return {
    db,
    relay,
    record: (type, subject, data, options = {}) => db.transaction((manager) => recordEvent(manager, { domain, type, subject, data, requestId: options.requestId })),
    recordAll: (events) => db.transaction((manager) => recordEvents(manager, events.map((e) => ({ domain, ...e })))),
    async close() {
      await relay.stop();
      await db.destroy();
      await dropDatabase(database);
    },
  };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Two free consecutive ports: a private broker listens on `port` and its controller on `port + 1`. */
export async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    if (port < 65000 && (await portFree(port + 1))) return port;
  }
  throw new Error('no two free consecutive ports');
}

/** Runs a TypeScript file in a node process of its own (for crash tests: SIGKILL hits that process itself). */
export function spawnTs(file: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', file], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
}

/** Resolves with the signal that ended the process (null when it exited on its own). */
export const exitSignal = (child: ChildProcess) => new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));

/** A broker of one test file's own, for fault tests that stop and start it (infra/kafka, fixed port and data dir). */
export interface PrivateKafka {
  brokers: string;
  /** Stops the broker process; topics, messages and committed offsets stay in its data dir. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
}

const KAFKA_CLI = path.resolve(__dirname, '..', '..', '..', 'infra', 'kafka', 'cli.mjs');

export async function startPrivateKafka(): Promise<PrivateKafka> {
  const port = await freePortPair();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'opsgraph-kafka-'));
  let child: ChildProcess | null = null;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const c = spawn(process.execPath, [KAFKA_CLI, 'start'], { env: { ...process.env, KAFKA_PORT: String(port), KAFKA_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk;
        if (output.includes('KAFKA_BROKERS=')) resolve();
      };
      c.stdout!.on('data', onData);
      c.stderr!.on('data', (chunk: Buffer) => (output += chunk));
      c.once('exit', (code) => reject(new Error(`private Kafka exited with ${code}: ${output.slice(-2000)}`)));
    });

  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    brokers: `127.0.0.1:${port}`,
    start,
    stop,
    async destroy() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
