// Single-node Apache Kafka broker (KRaft, combined broker+controller) for dev and tests.
//
// No dependencies besides Node builtins, java (>= 11; 17 here) and mvn on PATH.
// The broker's jars come from Maven Central through ./pom.xml and are cached in
// ./.cache/lib (Maven's own ~/.m2 cache is used too). See README.md.
//
//   import { startKafka } from './infra/kafka/kafka.mjs';
//   const kafka = await startKafka();          // fresh temp data dir, port 19092
//   new Kafka({ brokers: [kafka.brokers] })     // '127.0.0.1:19092'
//   await kafka.stopBrokerProcess();            // outage (data kept)
//   await kafka.startBrokerProcess();           // same port + data dir
//   await kafka.stop();                         // stop + remove temp data dir

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const KAFKA_DIR = path.dirname(fileURLToPath(import.meta.url));
/** The broker version, stated once: <kafka.version> in pom.xml, which Maven fetches (docker-compose.yml's image is tested against it). */
export const KAFKA_VERSION = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(fs.readFileSync(path.join(KAFKA_DIR, 'pom.xml'), 'utf8'))[1];
export const CACHE_DIR = path.join(KAFKA_DIR, '.cache');
export const LIB_DIR = path.join(CACHE_DIR, 'lib');
const MARKER = `.complete-kafka-${KAFKA_VERSION}`;

const DEFAULT_PORT = 19092;
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function javaBin() {
  if (process.env.JAVA_HOME) {
    const p = path.join(process.env.JAVA_HOME, 'bin', 'java');
    if (fs.existsSync(p)) return p;
  }
  return 'java';
}

function jarsReady() {
  return fs.existsSync(path.join(LIB_DIR, MARKER));
}

function runCommand(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    let out = '';
    let child;
    try {
      child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    } catch (err) {
      reject(err);
      return;
    }
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (err) => {
      err.message = `could not run ${cmd}: ${err.message}`;
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}\n${out.slice(-8000)}`));
    });
  });
}

let ensureJarsPromise = null;
const LOCK_FILE = path.join(CACHE_DIR, 'fetch.lock');

/** One Maven run at a time across processes (e.g. parallel test workers on a clean clone). */
async function withFetchLock(fn) {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      await fsp.writeFile(LOCK_FILE, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    if (jarsReady()) return; // the lock holder finished
    // Break a lock whose owner died.
    try {
      const pid = Number((await fsp.readFile(LOCK_FILE, 'utf8')).trim());
      if (pid && !processAlive(pid)) await fsp.rm(LOCK_FILE, { force: true });
    } catch { /* raced with its removal */ }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK_FILE}`);
    await sleep(250);
  }
  try {
    if (!jarsReady()) await fn();
  } finally {
    await fsp.rm(LOCK_FILE, { force: true });
  }
}

/**
 * Makes sure the broker jars are in infra/kafka/.cache/lib (runs Maven once;
 * later calls are instant). Safe to call concurrently, also from several processes:
 * one Maven run copies into a private temp dir which is then renamed into place.
 * @returns {Promise<string>} the lib directory
 */
export async function ensureJars({ log = () => {} } = {}) {
  if (jarsReady()) return LIB_DIR;
  ensureJarsPromise ??= (async () => {
    await fsp.mkdir(CACHE_DIR, { recursive: true });
    await withFetchLock(() => fetchJars(log));
    if (!jarsReady()) throw new Error(`Kafka jars missing in ${LIB_DIR} after fetching`);
    return LIB_DIR;
  })();
  try {
    return await ensureJarsPromise;
  } finally {
    ensureJarsPromise = null;
  }
}

async function fetchJars(log) {
  const tmp = await fsp.mkdtemp(path.join(CACHE_DIR, 'lib.tmp-'));
  try {
    const t0 = Date.now();
    // Always said (stderr): this is the one slow step (~30 s with an empty ~/.m2).
    process.stderr.write(`[infra/kafka] fetching Kafka ${KAFKA_VERSION} jars with Maven into ${LIB_DIR} ...\n`);
    await runCommand(process.env.MVN || 'mvn', [
      '-q', '-B', '-Dstyle.color=never',
      '-f', path.join(KAFKA_DIR, 'pom.xml'),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${tmp}`,
    ], { cwd: KAFKA_DIR });
    const jars = (await fsp.readdir(tmp)).filter((f) => f.endsWith('.jar'));
    if (!jars.some((f) => f.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) {
      throw new Error(`Maven finished but got no kafka_2.13-${KAFKA_VERSION}.jar (pom.xml and KAFKA_VERSION in kafka.mjs out of sync?)`);
    }
    await fsp.writeFile(path.join(tmp, MARKER), `${new Date().toISOString()}\n`);
    // Replace a stale/incomplete lib dir (e.g. another Kafka version).
    if (fs.existsSync(LIB_DIR)) {
      const old = `${LIB_DIR}.old-${process.pid}-${Date.now()}`;
      await fsp.rename(LIB_DIR, old);
      await fsp.rm(old, { recursive: true, force: true });
    }
    await fsp.rename(tmp, LIB_DIR);
    log(`fetched ${jars.length} jars in ${Date.now() - t0} ms`);
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

/** A Kafka cluster id: 16 random bytes, base64url without padding (22 chars). */
function randomClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // Kafka avoids ids that look like CLI flags
  }
}

function serverProperties({ port, controllerPort, logDirs }) {
  return `# Generated by infra/kafka/kafka.mjs - single node, KRaft combined mode, loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=${logDirs}

# single node: every internal topic has one replica
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
default.replication.factor=1
min.insync.replicas=1

auto.create.topics.enable=true
num.partitions=3
delete.topic.enable=true

# fast tests: no initial rebalance delay, allow short kafkajs session timeouts
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000

# Faster restart after a crash (SIGKILL): the controller refuses to register the new
# broker incarnation until the old one's session expired (default 9 s).
broker.session.timeout.ms=3000
broker.heartbeat.interval.ms=500

# small footprint
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.cleaner.dedupe.buffer.size=33554432
`;
}

const LOG4J_PROPERTIES = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.storage.internals.log.LogConfig=WARN
log4j.logger.org.apache.kafka.common.config.AbstractConfig=WARN
log4j.logger.kafka.server.KafkaConfig=WARN
`;

// Small heap and fast JVM start (C1 only, serial GC): a test broker moves little data.
// Extra options: startKafka({ javaOpts: [...] }) or env KAFKA_JAVA_OPTS (space separated), appended last.
const BASE_JVM_OPTS = ['-Xms64m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData', '-Djava.awt.headless=true'];
function jvmArgs(extra = []) {
  const env = (process.env.KAFKA_JAVA_OPTS || '').split(/\s+/).filter(Boolean);
  return [...BASE_JVM_OPTS, ...extra, ...env];
}

/** Resolves true if something accepts TCP connections on 127.0.0.1:port. */
function portInUse(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.setTimeout(1000);
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('timeout', () => { sock.destroy(); resolve(false); });
    sock.once('error', () => resolve(false));
  });
}

function canListen(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A port p such that p and p+1 are free on 127.0.0.1 right now (for startKafka({ port: 0 })). */
export async function findFreePortPair() {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + 2 * Math.floor(Math.random() * 15000);
    if ((await canListen(p)) && (await canListen(p + 1))) return p;
  }
  throw new Error('no free pair of consecutive ports found');
}

/** Frames one request (header v1, non-flexible versions only) and resolves with the response body. */
function kafkaRequest(port, apiKey, apiVersion, body, { host = '127.0.0.1', timeoutMs = 2000 } = {}) {
  return new Promise((resolve, reject) => {
    const clientId = Buffer.from('infra-kafka-probe');
    const header = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
    let o = header.writeInt16BE(apiKey, 0);
    o = header.writeInt16BE(apiVersion, o);
    o = header.writeInt32BE(7, o); // correlation id
    o = header.writeInt16BE(clientId.length, o);
    clientId.copy(header, o);
    const size = Buffer.alloc(4);
    size.writeInt32BE(header.length + body.length, 0);
    const frame = Buffer.concat([size, header, body]);

    let buf = Buffer.alloc(0);
    const sock = net.connect({ host, port });
    let settled = false;
    const done = (err, val) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(val);
    };
    const timer = setTimeout(() => done(new Error(`api ${apiKey} request timed out`)), timeoutMs);
    sock.once('error', (err) => done(err));
    sock.once('connect', () => sock.write(frame));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 4) return;
      const len = buf.readInt32BE(0);
      if (buf.length < 4 + len) return;
      if (buf.readInt32BE(4) !== 7) done(new Error('bad correlation id'));
      else done(null, buf.subarray(8, 4 + len)); // response header v0 = correlation id only
    });
    sock.once('close', () => done(new Error('connection closed before the answer')));
  });
}

const str16 = (s) => {
  const b = Buffer.from(s);
  const out = Buffer.alloc(2 + b.length);
  out.writeInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
};

/**
 * Sends a Metadata v4 request (supported by Kafka 1.0 .. 4.x) and resolves with the number
 * of live brokers in the answer (>= 1 once the broker has registered and is unfenced).
 * Rejects on connection errors / timeout.
 */
export async function probeBroker(port, host = '127.0.0.1', timeoutMs = 2000) {
  // topics: empty array (no topic metadata, nothing auto-created), allow_auto_topic_creation=false
  const body = Buffer.from([0, 0, 0, 0, 0]);
  const res = await kafkaRequest(port, 3, 4, body, { host, timeoutMs });
  return res.readInt32BE(4); // throttle_time_ms, then the brokers array length
}

/**
 * Creates/loads what a first consumer group and a first idempotent/transactional producer
 * need (__consumer_offsets, __transaction_state, a producer-id block), so that tests don't
 * pay for it and kafkajs doesn't log "coordinator not available / loading" errors.
 * Best effort: gives up silently after timeoutMs.
 */
export async function warmUpBroker(port, { timeoutMs = 20_000, aborted = () => false } = {}) {
  const deadline = Date.now() + timeoutMs;
  const until = async (fn) => {
    while (Date.now() < deadline && !aborted()) {
      try {
        if ((await fn()) === 0) return true;
      } catch { /* retry */ }
      await sleep(100);
    }
    return false;
  };
  // FindCoordinator v1: key, key_type (0 group, 1 transaction) -> throttle_time_ms, error_code, ...
  const findCoordinator = (keyType) => async () =>
    (await kafkaRequest(port, 10, 1, Buffer.concat([str16('infra-kafka-warmup'), Buffer.from([keyType])]))).readInt16BE(4);
  // InitProducerId v1 with a null transactional id (what an idempotent producer sends)
  const initProducerId = async () => {
    const body = Buffer.alloc(6);
    body.writeInt16BE(-1, 0);
    body.writeInt32BE(60_000, 2);
    return (await kafkaRequest(port, 22, 1, body)).readInt16BE(4);
  };
  // OffsetFetch v1 for the warm-up group: COORDINATOR_LOAD_IN_PROGRESS until its partition is loaded
  const offsetFetch = async () => {
    const res = await kafkaRequest(port, 9, 2, Buffer.concat([str16('infra-kafka-warmup'), Buffer.from([0xff, 0xff, 0xff, 0xff])]));
    return res.readInt16BE(res.length - 2); // v2+: top-level error_code at the end
  };
  return (await until(findCoordinator(0))) && (await until(offsetFetch))
    && (await until(initProducerId)) && (await until(findCoordinator(1)));
}

async function tail(file, bytes = 6000) {
  try {
    const fh = await fsp.open(file, 'r');
    try {
      const { size } = await fh.stat();
      const len = Math.min(size, bytes);
      const { buffer } = await fh.read(Buffer.alloc(len), 0, len, size - len);
      return buffer.toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return '(no log)';
  }
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills a broker left over by a crashed earlier run on the same data dir. */
async function killStaleBroker(pidFile, propsFile) {
  let pid;
  try {
    pid = Number((await fsp.readFile(pidFile, 'utf8')).trim());
  } catch {
    return;
  }
  if (!pid || !processAlive(pid)) return;
  let cmdline = '';
  try {
    cmdline = (await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' ');
  } catch {
    return;
  }
  if (!cmdline.includes('kafka.Kafka') || !cmdline.includes(propsFile)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (processAlive(pid) && Date.now() < deadline) await sleep(100);
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  while (processAlive(pid)) await sleep(50);
}

// Brokers started by this process (child -> temp data dir to delete or null); they are
// killed if the Node process exits without stop(). If Node dies by a signal, setpriv's
// parent-death signal (below) stops them instead.
const liveChildren = new Map();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [child, tempDir] of liveChildren) {
      try { child.kill('SIGKILL'); } catch { /* ignore */ }
      if (tempDir) {
        try { fs.rmSync(tempDir, { recursive: true, force: true, maxRetries: 3 }); } catch { /* ignore */ }
      }
    }
  });
}

// util-linux setpriv: the broker gets SIGTERM if this Node process dies (even by SIGKILL).
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));

/**
 * Starts a single-node Kafka broker (KRaft combined mode) on 127.0.0.1.
 *
 * @param {object} [opts]
 * @param {number} [opts.port=19092] PLAINTEXT port; the controller uses port+1.
 *   0 = pick two free consecutive ports (read them back from the handle).
 * @param {string} [opts.dataDir] Where config, logs and data go. Default: a fresh temp
 *   dir that stop() deletes. A given dir is created if needed, formatted only if it has
 *   no meta.properties yet (so a restart keeps topics/offsets), and never deleted.
 * @param {string} [opts.logFile] Broker stdout/stderr (appended). Default <dataDir>/broker.log.
 * @param {number} [opts.startTimeoutMs=90000]
 * @param {(msg: string) => void} [opts.log] Progress messages (default: silent).
 * @param {string[]} [opts.javaOpts] Extra JVM options for the broker (after the defaults).
 * @param {boolean} [opts.warmup=true] Before resolving, also wait until the group coordinator
 *   and producer-id allocation work (creates __consumer_offsets/__transaction_state).
 * @param {(info: {code: number|null, signal: string|null}) => void} [opts.onUnexpectedExit]
 *   Called if a broker that had become ready exits without stopBrokerProcess()/stop().
 */
export async function startKafka({
  port = DEFAULT_PORT,
  dataDir,
  logFile,
  startTimeoutMs = START_TIMEOUT_MS,
  log = () => {},
  onUnexpectedExit,
  warmup = true,
  javaOpts = [],
} = {}) {
  const libDir = await ensureJars({ log });
  port = Number(port);
  if (port === 0) port = await findFreePortPair();
  if (!Number.isInteger(port) || port <= 0 || port >= 65535) throw new Error(`bad Kafka port: ${port}`);
  const controllerPort = port + 1;

  const ownsDataDir = !dataDir;
  dataDir = dataDir
    ? path.resolve(dataDir)
    : await fsp.mkdtemp(path.join(os.tmpdir(), `kafka-${port}-`));
  await fsp.mkdir(dataDir, { recursive: true });
  const logDirs = path.join(dataDir, 'kafka-logs');
  const propsFile = path.join(dataDir, 'server.properties');
  const log4jFile = path.join(dataDir, 'log4j.properties');
  const pidFile = path.join(dataDir, 'broker.pid');
  logFile = logFile ? path.resolve(logFile) : path.join(dataDir, 'broker.log');
  await fsp.mkdir(path.dirname(logFile), { recursive: true });

  await fsp.writeFile(propsFile, serverProperties({ port, controllerPort, logDirs }));
  await fsp.writeFile(log4jFile, LOG4J_PROPERTIES);
  await killStaleBroker(pidFile, propsFile);

  const classpath = `${libDir}${path.sep}*`;
  const log4jOpt = `-Dlog4j.configuration=file:${log4jFile}`;

  let formatMs = 0;
  if (!fs.existsSync(path.join(logDirs, 'meta.properties'))) {
    const t0 = Date.now();
    const clusterId = randomClusterId();
    await runCommand(javaBin(), [
      ...jvmArgs([log4jOpt, '-Xmx256m']),
      '-cp', classpath,
      'kafka.tools.StorageTool', 'format',
      '--cluster-id', clusterId,
      '--config', propsFile,
      '--ignore-formatted',
    ]);
    formatMs = Date.now() - t0;
    log(`formatted ${logDirs} (cluster id ${clusterId}) in ${formatMs} ms`);
  }

  const handle = {
    brokers: `127.0.0.1:${port}`,
    port,
    controllerPort,
    dataDir,
    logFile,
    version: KAFKA_VERSION,
    pid: undefined,
    /** ms spent formatting storage on the first start (0 if already formatted). */
    formatMs,
    /** ms the last start took from spawn until the broker answered and was warmed up. */
    startMs: 0,
    /** ms from spawn until the broker first answered Metadata with itself as live broker. */
    probeMs: 0,
    startBrokerProcess,
    stopBrokerProcess,
    restart,
    stop,
    logTail: () => tail(logFile),
  };

  let child = null;
  let exited = null; // promise resolved with {code, signal} when the current child exits
  let stopped = false;

  async function startBrokerProcess() {
    if (stopped) throw new Error('this Kafka handle was stopped; call startKafka() again');
    if (child) return handle;
    for (const p of [port, controllerPort]) {
      if (await portInUse(p)) {
        throw new Error(`cannot start Kafka: 127.0.0.1:${p} is already in use (another broker still running? set another port)`);
      }
    }
    const t0 = Date.now();
    const logFd = fs.openSync(logFile, 'a');
    const javaArgs = [
      ...jvmArgs([log4jOpt, `-Dkafka.logs.dir=${path.join(dataDir, 'logs')}`, ...javaOpts]),
      '-cp', classpath,
      'kafka.Kafka', propsFile,
    ];
    const [cmd, args] = SETPRIV
      ? [SETPRIV, ['--pdeathsig', 'TERM', '--', javaBin(), ...javaArgs]]
      : [javaBin(), javaArgs];
    const c = spawn(cmd, args, { stdio: ['ignore', logFd, logFd], cwd: dataDir });
    fs.closeSync(logFd);
    child = c;
    installExitHook();
    liveChildren.set(c, ownsDataDir ? dataDir : null);
    let spawnError = null;
    exited = new Promise((resolve) => {
      c.once('error', (err) => { spawnError = err; liveChildren.delete(c); resolve({ code: null, signal: null, err }); });
      c.once('exit', (code, signal) => { liveChildren.delete(c); resolve({ code, signal }); });
    });
    let exitInfo = null;
    let ready = false;
    exited.then((info) => {
      exitInfo = info;
      if (ready && child === c && !c.stopRequested) {
        child = null;
        handle.pid = undefined;
        log(`Kafka broker exited unexpectedly (${info.code ?? info.signal}); log: ${logFile}`);
        onUnexpectedExit?.(info);
      }
    });
    handle.pid = c.pid;
    if (c.pid) await fsp.writeFile(pidFile, `${c.pid}\n`);

    const deadline = t0 + startTimeoutMs;
    let lastErr = null;
    for (;;) {
      if (exitInfo) {
        child = null;
        const why = spawnError ? `could not run java: ${spawnError.message}` : `exited with ${exitInfo.code ?? exitInfo.signal}`;
        throw new Error(`Kafka broker ${why} during startup. Log ${logFile}:\n${await tail(logFile)}`);
      }
      if (Date.now() > deadline) {
        await stopBrokerProcess({ hard: true });
        throw new Error(`Kafka broker did not become ready on 127.0.0.1:${port} within ${startTimeoutMs} ms (last probe: ${lastErr?.message}). Log ${logFile}:\n${await tail(logFile)}`);
      }
      try {
        const brokers = await probeBroker(port);
        if (brokers >= 1) break;
        lastErr = new Error('broker answered with no live brokers yet');
      } catch (err) {
        lastErr = err;
      }
      await sleep(100);
    }
    handle.probeMs = Date.now() - t0;
    if (warmup) {
      const ok = await warmUpBroker(port, { timeoutMs: Math.max(5000, deadline - Date.now()), aborted: () => !!exitInfo });
      if (!ok && !exitInfo) log('warm-up did not complete (continuing anyway)');
    }
    if (exitInfo) {
      child = null;
      throw new Error(`Kafka broker exited with ${exitInfo.code ?? exitInfo.signal} during startup. Log ${logFile}:\n${await tail(logFile)}`);
    }
    ready = true;
    handle.startMs = Date.now() - t0;
    log(`Kafka ${KAFKA_VERSION} ready on ${handle.brokers} in ${handle.startMs} ms (pid ${c.pid})`);
    return handle;
  }

  /**
   * Stops the broker process but keeps the data dir (for outage tests).
   * SIGTERM (controlled shutdown), SIGKILL after timeoutMs; hard:true = SIGKILL at once (crash).
   */
  async function stopBrokerProcess({ hard = false, timeoutMs = STOP_TIMEOUT_MS } = {}) {
    const c = child;
    if (!c) return;
    const done = exited;
    c.stopRequested = true;
    if (c.exitCode === null && c.signalCode === null) {
      c.kill(hard ? 'SIGKILL' : 'SIGTERM');
      const timer = setTimeout(() => { try { c.kill('SIGKILL'); } catch { /* gone */ } }, timeoutMs);
      await done;
      clearTimeout(timer);
    } else {
      await done;
    }
    child = null;
    handle.pid = undefined;
    await fsp.rm(pidFile, { force: true });
    // The sockets are closed when the process is gone; make sure before a restart.
    for (let i = 0; i < 50 && (await portInUse(port)); i++) await sleep(100);
  }

  /** Stops the broker process and starts it again on the same port and data dir. */
  async function restart(opts) {
    await stopBrokerProcess(opts);
    return startBrokerProcess();
  }

  /** Stops the broker; deletes the data dir if startKafka() created it. Idempotent. */
  async function stop() {
    if (stopped) return;
    await stopBrokerProcess();
    stopped = true;
    if (ownsDataDir) await fsp.rm(dataDir, { recursive: true, force: true });
  }

  try {
    await startBrokerProcess();
  } catch (err) {
    stopped = true; // the temp data dir (if any) is left in place so that its broker.log can be read
    throw err;
  }
  return handle;
}
