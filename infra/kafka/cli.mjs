#!/usr/bin/env node
// node infra/kafka/cli.mjs start   - foreground broker until SIGINT/SIGTERM
//                                    (KAFKA_PORT, default 19092; KAFKA_DATA_DIR, default <repo>/.data/kafka)
// node infra/kafka/cli.mjs fetch   - only fetch the broker jars into infra/kafka/.cache/lib
import path from 'node:path';
import { ensureJars, startKafka, KAFKA_DIR, KAFKA_VERSION, LIB_DIR } from './kafka.mjs';

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
  console.error('usage: node infra/kafka/cli.mjs start|fetch');
  process.exit(2);
}

main(process.argv[2]).catch((err) => {
  console.error(`[kafka] ${err.stack || err.message || err}`);
  process.exit(1);
});
