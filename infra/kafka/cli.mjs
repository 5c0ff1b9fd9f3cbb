#!/usr/bin/env node
// node infra/kafka/cli.mjs start   - foreground broker until SIGINT/SIGTERM
//                                    (KAFKA_PORT, default 19092; KAFKA_DATA_DIR, default <repo>/.data/kafka)
// node infra/kafka/cli.mjs fetch   - only fetch the broker jars into infra/kafka/.cache/lib
//
// Data teams' tools (Kafka's own, fetched on first use; KAFKA_BROKERS or --bootstrap-server, default 127.0.0.1:19092):
// node infra/kafka/cli.mjs tail <topic> [--max N] [--timeout-ms MS] [--new]
//                                  - every message of a topic with timestamp, partition, offset, headers, key
// node infra/kafka/cli.mjs topics  - the topics
// node infra/kafka/cli.mjs groups  - every consumer group with its offsets and lag per partition
// node infra/kafka/cli.mjs replay <group> <topic> (--to-offset N | --to-datetime 2026-12-01T00:00:00.000 | --to-earliest) [--execute]
//                                  - moves a (stopped) group back so it consumes again from there; a dry run without --execute
import path from 'node:path';
import { ensureJars, startKafka, KAFKA_DIR, KAFKA_VERSION, LIB_DIR } from './kafka.mjs';
import { runTool, tailArgs } from './data-tools.mjs';

const REPO_ROOT = path.resolve(KAFKA_DIR, '..', '..');
const log = (msg) => console.error(`[kafka] ${msg}`);

async function main(cmd) {
  if (cmd === 'fetch') {
    const t0 = Date.now();
    await ensureJars({ log });
    log(`Kafka ${KAFKA_VERSION} jars ready in ${LIB_DIR} (${Date.now() - t0} ms)`);
    return;
  }
  if (cmd === 'start') {
    const port = Number(process.env.KAFKA_PORT || 19092);
    const dataDir = path.resolve(REPO_ROOT, process.env.KAFKA_DATA_DIR || path.join('.data', 'kafka'));
    const kafka = await startKafka({
      port,
      dataDir,
      log,
      onUnexpectedExit: (info) => {
        log(`broker died (${info.code ?? info.signal}); see ${kafka.logFile}`);
        process.exit(1);
      },
    });
    log(`data dir ${dataDir}, broker log ${kafka.logFile}`);
    console.log(`KAFKA_BROKERS=${kafka.brokers}`);

    let stopping = false;
    const shutdown = async (sig) => {
      if (stopping) return;
      stopping = true;
      log(`${sig}: stopping broker...`);
      try {
        await kafka.stop();
        log('stopped');
        process.exit(0);
      } catch (err) {
        console.error(err);
        process.exit(1);
      }
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    // Keep the process alive until a signal (or the broker dying, see onUnexpectedExit).
    setInterval(() => {}, 1 << 30);
    return;
  }
  const args = process.argv.slice(3);
  const option = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const bootstrap = option('--bootstrap-server') ?? process.env.KAFKA_BROKERS?.split(',')[0] ?? '127.0.0.1:19092';
  const tool = (name, toolArgs) => runTool(name, toolArgs, { capture: false, log });
  if (cmd === 'tail') {
    if (!args[0]) usage();
    return tool('tail', tailArgs({ bootstrap, topic: args[0], fromBeginning: !args.includes('--new'), maxMessages: option('--max'), timeoutMs: option('--timeout-ms') }));
  }
  if (cmd === 'topics') return tool('topics', ['--bootstrap-server', bootstrap, '--list']);
  if (cmd === 'groups') return tool('groups', ['--bootstrap-server', bootstrap, '--describe', '--all-groups']);
  if (cmd === 'replay') {
    const [group, topic] = args;
    const to = ['--to-offset', '--to-datetime', '--to-earliest'].find((o) => args.includes(o));
    if (!group || !topic || !to) usage();
    return tool('groups', ['--bootstrap-server', bootstrap, '--reset-offsets', '--group', group, '--topic', topic, to, ...(to === '--to-earliest' ? [] : [option(to)]), args.includes('--execute') ? '--execute' : '--dry-run']);
  }
  usage();
}

function usage() {
  console.error('usage: node infra/kafka/cli.mjs start|fetch|tail <topic>|topics|groups|replay <group> <topic> --to-offset N|--to-datetime T|--to-earliest [--execute]');
  process.exit(2);
}

main(process.argv[2]).catch((err) => {
  console.error(`[kafka] ${err.stack || err.message || err}`);
  process.exit(1);
});
