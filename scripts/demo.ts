/**
 * Seeds the demo plant through the gateway, as people would: the Work registry and work in every state,
 * then each supporting domain's `demo.ts`. Runs once: a second run finds the site and stops.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GATEWAY_PORT, SUBGRAPHS, devToken, type Caller } from '@opsgraph/core';
import { demoPeople, seedDemoDomains, seedDemoWork, type DemoContext, type SeedDemo } from '@opsgraph/testing';

const url = process.env.OPSGRAPH_GATEWAY_URL ?? `http://127.0.0.1:${GATEWAY_PORT}/graphql`;

async function query<T = any>(q: string, variables: Record<string, unknown> = {}, caller: Caller = demoPeople.admin): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await devToken(caller)}` },
    body: JSON.stringify({ query: q, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length) throw new Error(`${q.slice(0, 80)}…: ${JSON.stringify(body.errors)}`);
  return body.data as T;
}

async function eventually<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('demo: timed out waiting for an event to take effect');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main() {
  const existing = await query<{ sites: { code: string }[] }>(`{ sites { code } }`);
  if (existing.sites.some((s) => s.code === 'GRN')) return console.log('demo plant already seeded');
  const plant = await seedDemoWork(query);
  const whenKnown = <T>(call: () => Promise<T>) => eventually(() => call().catch((e: Error) => (/retry shortly/.test(e.message) ? null : Promise.reject(e))));
  const ctx: DemoContext = { query, plant, people: demoPeople, eventually, whenKnown, log: (m) => console.log(`demo: ${m}`) };
  ctx.log('work: plant GRN with 3 areas, 2 lines, 5 assets and work in every state');
  const seeds = [];
  for (const name of SUBGRAPHS.filter((s) => s !== 'work')) {
    const file = path.join(__dirname, '..', 'services', name, 'demo.ts');
    if (existsSync(file)) seeds.push({ name, seed: ((await import(file)) as { seedDemo: SeedDemo }).seedDemo });
  }
  await seedDemoDomains(ctx, seeds);
  // The time-driven rules once more, now that everything is seeded: the picture is current without waiting for them.
  for (const name of SUBGRAPHS) await query(`mutation { run${name[0].toUpperCase()}${name.slice(1)}Schedules { schedule } }`);
  console.log('demo plant seeded');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
