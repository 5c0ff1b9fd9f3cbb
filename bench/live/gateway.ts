/**
 * The gateway for bench/live.ts in a process of its own (so its CPU and memory are its own): subgraph URLs from
 * OPSGRAPH_<SERVICE>_URL, port from OPSGRAPH_GATEWAY_PORT; prints one JSON line once it reads the event stream.
 */
import { startGateway } from '@opsgraph/gateway';

startGateway()
  .then(async (app) => {
    await app.live.ready;
    process.stdout.write(`${JSON.stringify({ ready: true, url: app.url, pid: process.pid })}\n`);
    const stop = async () => {
      await app.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop());
    process.once('SIGINT', () => void stop());
  })
  .catch((err) => {
    process.stderr.write(`live bench gateway failed: ${(err as Error).stack}\n`);
    process.exit(1);
  });
