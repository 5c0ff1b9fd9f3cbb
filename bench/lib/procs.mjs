// Child processes of a benchmark run: started with their output kept in a log file (and errors echoed),
// measured by their resident memory, and always stopped at the end.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const log = (msg) => console.log(`[bench] ${msg}`);

const running = new Set();

/** Spawns `command args` with its stdout/stderr appended to <logDir>/<name>.log; lines with "error" are echoed. */
export function startProcess(name, command, args, { env, cwd, logDir, echo = false }) {
  mkdirSync(logDir, { recursive: true });
  const out = createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' });
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const startedAt = performance.now();
  const forward = (stream) => {
    let buffer = '';
    stream.on('data', (chunk) => {
      out.write(chunk);
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop();
      for (const line of lines) if (echo || /"level":(50|60)|Error|error:/.test(line)) process.stderr.write(`${name.padEnd(11)}| ${line.slice(0, 400)}\n`);
    });
  };
  forward(child.stdout);
  forward(child.stderr);
  const proc = { name, child, pid: child.pid, startedAt, exited: false, exitCode: null };
  child.on('exit', (code, signal) => {
    proc.exited = true;
    proc.exitCode = code ?? signal;
    running.delete(proc);
    out.end();
  });
  running.add(proc);
  return proc;
}

/** Resident memory of a process in MiB, from /proc/<pid>/status (VmRSS); null once it is gone. */
export function rssMiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]);
    return Number.isFinite(kb) ? kb / 1024 : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat; null once it is gone. */
export function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
const CLOCK_TICKS = 100; // USER_HZ: 100 on Linux x86-64 and arm64

/** CPU used by each process between now and `stop()`. */
export function measureCpu(procs) {
  const before = Object.fromEntries(procs.map((p) => [p.name, cpuMs(p.pid)]));
  return {
    stop() {
      const used = {};
      for (const p of procs) {
        const after = cpuMs(p.pid);
        if (after !== null && before[p.name] !== null) used[p.name] = after - before[p.name];
      }
      return used;
    },
  };
}

/** Samples the RSS of `procs` every `everyMs` until stopped; gives the peak and the last value per process. */
export function sampleMemory(procs, everyMs = 250) {
  const peak = {};
  const last = {};
  const take = () => {
    for (const p of procs) {
      const v = rssMiB(p.pid);
      if (v === null) continue;
      last[p.name] = v;
      peak[p.name] = Math.max(peak[p.name] ?? 0, v);
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { peak, last };
    },
  };
}

/** SIGTERM, then SIGKILL after `graceMs` for what did not stop. */
export async function stopProcess(proc, graceMs = 8000) {
  if (!proc || proc.exited) return;
  const done = new Promise((resolve) => proc.child.once('exit', resolve));
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => !proc.exited && proc.child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

export async function stopAll() {
  await Promise.all([...running].map((p) => stopProcess(p)));
}

/** Runs a command to completion; resolves with its stdout (rejects with its stderr on failure). */
export function runToEnd(command, args, { env, cwd, timeoutMs = 600_000, echo = true, prefix = '' } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c) => {
      stdout += c;
      if (echo) for (const line of String(c).split('\n')) if (line && !line.startsWith('BENCH_') && !line.startsWith('{')) console.log(`${prefix}${line.slice(0, 300)}`);
    });
    child.stderr.on('data', (c) => {
      stderr += c;
      if (echo) process.stderr.write(String(c).split('\n').filter(Boolean).map((l) => `${prefix}${l.slice(0, 300)}\n`).join(''));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(Object.assign(new Error(`${command} ${args.join(' ').slice(0, 200)} exited with ${code}`), { stdout, stderr }));
    });
  });
}

/** POSTs a GraphQL request; gives status, parsed body, the SQL statement header (asked for) and the time taken. */
export async function postGraphQL(url, body, headers = {}, timeoutMs = 30_000) {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-opsgraph-count-statements': '1', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  const statements = res.headers.get('x-opsgraph-sql-statements');
  return { status: res.status, json, text, ms: performance.now() - t0, statements: statements === null ? null : statements.split(',').reduce((n, v) => n + Number(v.trim() || 0), 0) };
}

export async function waitFor(check, { timeoutMs = 120_000, everyMs = 100, what = 'condition', procs = [] } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const p of procs) if (p.exited) throw new Error(`${p.name} exited (${p.exitCode}) while waiting for ${what}; see its log`);
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
