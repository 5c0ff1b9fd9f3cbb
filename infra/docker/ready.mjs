// Container healthcheck (the slim image has no curl): `node infra/docker/ready.mjs <port>` exits 0 when the
// process on that port answers 200 on /ready (its database answers), 1 otherwise or after 2.5 s.
const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node infra/docker/ready.mjs <port>');
  process.exit(2);
}
const answer = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2500) }).catch((err) => err);
if (answer instanceof Response && answer.ok) process.exit(0);
console.error(`127.0.0.1:${port}/ready: ${answer instanceof Response ? answer.status : answer.message}`);
process.exit(1);
