// Kafka's own command-line tools for data teams, run against our broker (or any, with --bootstrap-server):
// tail a topic with headers, list topics, list consumer groups with their lag, replay a group from an
// offset or a time. The tools jar (org.apache.kafka:kafka-tools, the broker's version) is fetched with
// Maven on first use into .cache/tools, like the broker's jars; the broker's jars complete the class path.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { CACHE_DIR, KAFKA_DIR, KAFKA_VERSION, LIB_DIR, ensureJars } from './kafka.mjs';

export const TOOLS_DIR = path.join(CACHE_DIR, 'tools');
const POM = path.join(KAFKA_DIR, 'tools', 'pom.xml');
const MARKER = `.complete-kafka-tools-${KAFKA_VERSION}`;

export const TOOLS = {
  tail: 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  topics: 'org.apache.kafka.tools.TopicCommand',
  groups: 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
};

function run(cmd, args, { capture = true, timeoutMs } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', capture ? 'pipe' : 'inherit', capture ? 'pipe' : 'inherit'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (err += d));
    const timer = timeoutMs ? setTimeout(() => child.kill('SIGTERM'), timeoutMs) : null;
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      if (code === 0) resolve({ out, err });
      else reject(new Error(`${path.basename(cmd)} ${args.slice(-6).join(' ')} exited with ${code}\n${(err || out).slice(-4000)}`));
    });
  });
}

/** The tools jar and its dependencies in .cache/tools (Maven once; later calls are instant). */
export async function ensureToolJars({ log = () => {} } = {}) {
  await ensureJars({ log });
  if (fs.existsSync(path.join(TOOLS_DIR, MARKER))) return TOOLS_DIR;
  const pomVersion = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(await fsp.readFile(POM, 'utf8'))?.[1];
  if (pomVersion !== KAFKA_VERSION) throw new Error(`infra/kafka/tools/pom.xml names Kafka ${pomVersion}, the broker is ${KAFKA_VERSION}: make them agree`);
  await fsp.mkdir(CACHE_DIR, { recursive: true });
  const tmp = await fsp.mkdtemp(path.join(CACHE_DIR, 'tools.tmp-'));
  try {
    log(`fetching Kafka ${KAFKA_VERSION} tools with Maven into ${TOOLS_DIR} ...`);
    await run(process.env.MVN || 'mvn', ['-q', '-B', '-Dstyle.color=never', '-f', POM, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${tmp}`]);
    await fsp.writeFile(path.join(tmp, MARKER), `${new Date().toISOString()}\n`);
    await fsp.rm(TOOLS_DIR, { recursive: true, force: true });
    await fsp.rename(tmp, TOOLS_DIR).catch(async (err) => {
      // Another process fetched them meanwhile: theirs will do.
      if (!fs.existsSync(path.join(TOOLS_DIR, MARKER))) throw err;
    });
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
  return TOOLS_DIR;
}

const java = () => (process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java');

/** Runs one of Kafka's tools with the tools' and broker's jars; quiet logging (warnings only). */
export async function runTool(tool, args, options = {}) {
  await ensureToolJars(options);
  const log4j = path.join(KAFKA_DIR, 'tools', 'log4j.properties');
  // The broker's jars, then the tools' own that the broker does not have (one logging binding, one of each jar).
  const broker = new Set(await fsp.readdir(LIB_DIR));
  const own = (await fsp.readdir(TOOLS_DIR)).filter((f) => f.endsWith('.jar') && !broker.has(f)).map((f) => path.join(TOOLS_DIR, f));
  const classPath = [`${LIB_DIR}/*`, ...own].join(path.delimiter);
  return run(java(), ['-Xmx256m', `-Dlog4j.configuration=file:${log4j}`, '-cp', classPath, TOOLS[tool], ...args], options);
}

/** The arguments of `tail`: every message of a topic with its key, headers and timestamp. */
export function tailArgs({ bootstrap, topic, fromBeginning = true, maxMessages, timeoutMs, group }) {
  return [
    '--bootstrap-server', bootstrap, '--topic', topic,
    ...(fromBeginning ? ['--from-beginning'] : []),
    ...(maxMessages ? ['--max-messages', String(maxMessages)] : []),
    ...(timeoutMs ? ['--timeout-ms', String(timeoutMs)] : []),
    ...(group ? ['--group', group] : []),
    '--property', 'print.timestamp=true', '--property', 'print.partition=true', '--property', 'print.offset=true',
    '--property', 'print.key=true', '--property', 'print.headers=true',
    '--property', 'headers.separator=,', '--property', 'headers.key.separator=:',
  ];
}
