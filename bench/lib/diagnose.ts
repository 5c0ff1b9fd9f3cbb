/**
 * Where the board's time goes: runs the benchmark's board query through an in-process @apollo/gateway built
 * like ours (same supergraph, the signed caller header, Node's fetch), with every subgraph fetch timed, and
 * prints the query plan and per-subgraph fetches: duration, SQL statements (the subgraph's header), request
 * and response sizes. Needs the benchmark's servers running (node bench/run.mjs --keep --scenarios none).
 *
 *   OPSGRAPH_DB_PREFIX=bench OPSGRAPH_INTERNAL_SECRET=bench-internal-secret node --import tsx bench/lib/diagnose.ts [first=50] [repeat=5]
 *   ... bench/lib/diagnose.ts page [repeat=5]      (the work item page instead of the board)
 */
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { INTERNAL_HEADER, databaseName, postgresConfig, signInternalCaller, type Caller } from '@opsgraph/core';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { BOARD, WORK_ITEM } = require('./queries.cjs') as { BOARD: string; WORK_ITEM: string };

interface Fetch {
  subgraph: string;
  ms: number;
  statements: number;
  requestBytes: number;
  responseBytes: number;
  entities: number;
  startedAt: number;
}

async function main() {
  const [first = '50', repeat = '5'] = process.argv.slice(2);
  const supergraphPath = path.join(__dirname, '..', '.work', 'supergraph.graphql');
  const client = new Client({ ...postgresConfig(), database: 'postgres' });
  await client.connect();
  const { rows } = await client.query(`SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = $1`, [databaseName('work')]);
  await client.end();
  const manifest = JSON.parse(rows[0].c).manifest as { board: { siteId: string; areaId: string }; callers: { supervisor: Caller }; pageItems: string[] };
  const { siteId, areaId } = manifest.board;
  const caller = manifest.callers.supervisor;
  let fetches: Fetch[] = [];
  let t0 = 0;
  class Timed extends RemoteGraphQLDataSource {
    override async willSendRequest({ request }: Parameters<NonNullable<RemoteGraphQLDataSource['willSendRequest']>>[0]) {
      request.http?.headers.set(INTERNAL_HEADER, await signInternalCaller(caller));
      request.http?.headers.set('x-opsgraph-count-statements', '1');
    }
  }
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(supergraphPath, 'utf8'),
    buildService: ({ name, url }) =>
      new Timed({
        url,
        fetcher: (async (input: string, init?: RequestInit) => {
          const started = performance.now();
          const res = await fetch(input, init);
          const text = await res.text();
          const reps = /"representations"/.test(String(init?.body)) ? (JSON.parse(String(init?.body)).variables?.representations?.length ?? 0) : 0;
          if (process.env.DUMP === name) console.log(String(init?.body).slice(0, 3000));
          fetches.push({ subgraph: name, ms: performance.now() - started, statements: Number(res.headers.get('x-opsgraph-sql-statements') ?? NaN), requestBytes: String(init?.body ?? '').length, responseBytes: text.length, entities: reps, startedAt: started - t0 });
          return new Response(text, { status: res.status, headers: res.headers });
        }) as never,
      }),
  });
  const server = new ApolloServer({ gateway });
  await server.start();
  for (let i = 0; i < Number(repeat); i++) {
    fetches = [];
    t0 = performance.now();
    const result = await server.executeOperation(
      first === 'page' ? { query: WORK_ITEM, variables: { id: manifest.pageItems[i % manifest.pageItems.length] } } : { query: BOARD, variables: { siteId, areaId, first: Number(first) } },
    );
    const total = performance.now() - t0;
    const body = result.body.kind === 'single' ? result.body.singleResult : null;
    if (body?.errors) console.log('errors', JSON.stringify(body.errors).slice(0, 500));
    console.log(`\nrun ${i + 1}: ${total.toFixed(1)} ms total, ${fetches.length} subgraph fetches, ${fetches.reduce((n, f) => n + f.statements, 0)} statements`);
    for (const f of fetches.sort((a, b) => a.startedAt - b.startedAt)) {
      console.log(`  +${f.startedAt.toFixed(0).padStart(5)} ms  ${f.subgraph.padEnd(11)} ${f.ms.toFixed(1).padStart(7)} ms  ${String(f.statements).padStart(3)} SQL  ${String(f.entities).padStart(4)} representations  req ${(f.requestBytes / 1024).toFixed(1)} KiB  resp ${(f.responseBytes / 1024).toFixed(1)} KiB`);
    }
  }
  await server.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
