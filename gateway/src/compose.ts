/**
 * Composes the supergraph from every subgraph's schema.graphql with @apollo/composition (no network,
 * no rover) and writes gateway/supergraph.graphql. `pnpm compose` after changing a schema; a test fails
 * when the checked-in file is stale or composition breaks.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { SUBGRAPHS, subgraphSdl, subgraphUrl } from '@opsgraph/core';
import { parse } from 'graphql';

export const ROOT = path.join(__dirname, '..', '..');
export const SUPERGRAPH_PATH = path.join(ROOT, 'gateway', 'supergraph.graphql');

/** The subgraphs that exist in this checkout, with their SDL and default URL. */
export function subgraphDefinitions() {
  return SUBGRAPHS.map((name) => ({ name, file: path.join(ROOT, 'services', name, 'src', 'schema.graphql') }))
    .filter((s) => existsSync(s.file))
    .map((s) => ({ name: s.name, url: subgraphUrl(s.name), typeDefs: parse(subgraphSdl(s.name, readFileSync(s.file, 'utf8'))) }));
}

export function composeSupergraph(): string {
  const result = composeServices(subgraphDefinitions().map((s) => ({ ...s, url: `http://127.0.0.1:${new URL(s.url).port}/graphql` })));
  if (result.errors) throw new Error(`composition failed:\n${result.errors.map((e) => e.message).join('\n')}`);
  return result.supergraphSdl;
}

if (require.main === module) {
  writeFileSync(SUPERGRAPH_PATH, composeSupergraph());
  console.log(`wrote ${path.relative(process.cwd(), SUPERGRAPH_PATH)}`);
}
