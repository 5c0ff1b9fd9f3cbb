/**
 * The subscribers of bench/live.ts in a process of their own (parsing a thousand boards per update is real CPU,
 * which must not slow the services or the gateway being measured). Input: one JSON line on stdin
 * ({ wsUrl, tokens, query, variables, count }); prints `{"ready":n}` once every subscriber has its first board,
 * then on the line `report` prints, per item id, when each subscriber first saw it (epoch ms), and exits.
 */
import { createInterface } from 'node:readline';
import { connectGraphqlWs } from '@opsgraph/testing';

const lines = createInterface({ input: process.stdin });
const clients: ReturnType<typeof connectGraphqlWs>[] = [];
const firstSeen: Map<string, number>[] = [];
const messages: number[] = [];

lines.on('line', async (line) => {
  if (line === 'report') {
    const seen: Record<string, number[]> = {};
    firstSeen.forEach((m) => m.forEach((at, id) => (seen[id] ??= []).push(at)));
    await Promise.all(clients.map((c) => c.dispose()));
    // Exit only once the pipe took the whole line (an exit right after a write to a pipe can cut it).
    process.stdout.write(`${JSON.stringify({ seen, messages: messages.reduce((a, b) => a + b, 0) })}\n`, () => process.exit(0));
    return;
  }
  const { wsUrl, tokens, query, variables, count } = JSON.parse(line);
  let firsts = 0;
  for (let i = 0; i < count; i += 50) {
    for (let k = i; k < Math.min(count, i + 50); k++) {
      const client = connectGraphqlWs(wsUrl, tokens[k % tokens.length]);
      clients.push(client);
      const mine = new Map<string, number>();
      firstSeen.push(mine);
      messages.push(0);
      client.subscribe({ query, variables }, {
        next: (message) => {
          const now = Date.now();
          if (messages[k]++ === 0 && ++firsts === count) process.stdout.write(`${JSON.stringify({ ready: firsts })}\n`);
          for (const item of (message.data as { board: { items: { id: string }[] } }).board.items) if (!mine.has(item.id)) mine.set(item.id, now);
        },
        error: (err) => process.stderr.write(`subscriber ${k}: ${JSON.stringify(err).slice(0, 300)}\n`),
        complete: () => undefined,
      });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
});
