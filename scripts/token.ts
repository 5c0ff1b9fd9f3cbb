/**
 * Prints a local development token for a demo person: `pnpm tsx scripts/token.ts technician`.
 * Tokens are HS256 with OPSGRAPH_JWT_SECRET; real deployments use their identity provider (JWKS).
 */
import { devToken } from '@opsgraph/core';
import { demoPeople } from '@opsgraph/testing';

async function main() {
  const who = process.argv[2] ?? 'supervisor';
  const person = (demoPeople as Record<string, (typeof demoPeople)['admin']>)[who];
  if (!person) throw new Error(`unknown person "${who}"; one of: ${Object.keys(demoPeople).join(', ')}`);
  const token = await devToken(person);
  console.log(`token for ${person.name} (${person.roles.join(', ')}):\n  export TOKEN=${token}\n  curl -s http://127.0.0.1:4000/graphql -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"query":"{ sites { code name } }"}'`);
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
