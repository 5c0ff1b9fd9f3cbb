/**
 * Our gateway (gateway/src/gateway.ts) as a benchmark child process, serving the supergraph composed for
 * the benchmark's subgraph ports:  node --import tsx bench/lib/gateway.ts <supergraph> <port>
 */
import { readFileSync } from 'node:fs';
import { runGateway } from '@opsgraph/gateway';

const [supergraphPath, port] = process.argv.slice(2);
runGateway({ port: Number(port), supergraphSdl: readFileSync(supergraphPath, 'utf8') });
