/**
 * Our gateway (gateway/src/gateway.ts `startGateway`) as a benchmark child process, serving the supergraph
 * composed for the benchmark's subgraph ports:  node --import tsx bench/lib/gateway.ts <supergraph> <port>
 */
import { readFileSync } from 'node:fs';
import { startGateway } from '@opsgraph/gateway';

process.env.OPSGRAPH_SERVICE ??= 'gateway';
const [supergraphPath, port] = process.argv.slice(2);
startGateway({ port: Number(port), supergraphSdl: readFileSync(supergraphPath, 'utf8') })
  .then((app) => {
    const stop = async () => {
      await app.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop());
    process.once('SIGINT', () => void stop());
  })
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
