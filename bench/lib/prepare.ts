/**
 * Prepares a benchmark run: composes the supergraph with the benchmark's subgraph URLs (OPSGRAPH_<NAME>_URL,
 * set by the runner to loopback ports away from a developer's `npm run up`) and writes it where the gateways
 * read it; mints the user tokens of the benchmark's callers; and signs one internal caller header for the
 * peer gateway, which forwards it as a static header (subgraphs refuse requests without it).
 *
 *   npx tsx bench/lib/prepare.ts <out-dir> '<callers json>'   → prints one JSON line
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { devToken, internalSecret, queryLimitsRule, verifyInternalCaller, type Caller } from '@opsgraph/core';
import { composeSupergraph, subgraphDefinitions } from '@opsgraph/gateway';
import { GraphQLError, parse, validate } from 'graphql';
import { SignJWT } from 'jose';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const queries = require('./queries.cjs') as Record<string, string>;

/**
 * What our gateway's cost rule (libs/core/src/limits.ts, OPSGRAPH_MAX_COST, default 100000) charges for each
 * benchmark operation, measured by running the rule itself against the composed API schema.
 */
function operationCosts(): Record<string, number | string> {
  const composed = composeServices(subgraphDefinitions());
  if (composed.errors) throw new Error(`composition failed: ${composed.errors.map((e) => e.message).join('; ')}`);
  const api = composed.schema.toAPISchema().toGraphQLJSSchema();
  const costs: Record<string, number | string> = {};
  for (const name of ['BOARD', 'WORK_ITEM', 'PROBE']) {
    const errors = validate(api, parse(queries[name]), [queryLimitsRule(100, 0)]) as readonly GraphQLError[];
    const cost = errors.find((e) => e.extensions?.code === 'QUERY_TOO_COMPLEX')?.extensions?.cost;
    costs[name] = typeof cost === 'number' ? cost : errors.map((e) => e.message).join('; ') || 0;
  }
  return costs;
}

/** Same claims and issuer as core's signInternalCaller, but valid for the whole run instead of 5 minutes. */
async function longLivedInternalCaller(caller: Caller, hours: number): Promise<string> {
  return new SignJWT({ name: caller.name, roles: caller.roles, sites: caller.sites, company: caller.company })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(caller.id)
    .setIssuer('opsgraph-gateway')
    .setIssuedAt()
    .setExpirationTime(`${hours}h`)
    .sign(new TextEncoder().encode(internalSecret()));
}

async function main() {
  const [outDir, callersJson] = process.argv.slice(2);
  const callers = JSON.parse(callersJson) as Record<string, Caller>;
  mkdirSync(outDir, { recursive: true });
  const supergraphPath = path.join(outDir, 'supergraph.graphql');
  writeFileSync(supergraphPath, composeSupergraph());
  const tokens: Record<string, string> = {};
  for (const [name, caller] of Object.entries(callers)) tokens[name] = await devToken(caller, { expiresIn: '6h' });
  const internal = await longLivedInternalCaller(callers.supervisor, 6);
  // Fails here, not in the middle of a run, if core's internal header rules changed.
  await verifyInternalCaller(internal);
  console.log(JSON.stringify({ supergraphPath, tokens, internal, costs: operationCosts() }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
