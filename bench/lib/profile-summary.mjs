// Summarizes V8 CPU profiles (.cpuprofile, from `node --cpu-prof`): self time by package and the hottest
// functions, per process, leaving out idle time and start-up (module loading and TypeScript transpiling).
//
//   node bench/lib/profile-summary.mjs bench/.work/profiles/<run>      (also used by run.mjs --profile)
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function packageOf(url, fn) {
  if (!url) return fn === '(garbage collector)' ? 'GC' : fn === '(program)' ? 'V8/native (program)' : fn === '(idle)' ? 'idle' : 'native';
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pnpm) return pnpm[1];
  const plain = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (plain) return plain[1];
  const own = /\/(libs|services)\/([^/]+)\//.exec(url);
  if (own) return own[1] === 'libs' ? `@opsgraph/${own[2]}` : `services/${own[2]}`;
  if (url.includes('/gateway/src/')) return '@opsgraph/gateway';
  if (url.includes('/bench/')) return 'bench';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, 2).join('/')}`;
  return url.split('/').slice(-2).join('/');
}

const STARTUP = /node:internal\/modules\/|\/tsx\/dist\/|esbuild|get-tsconfig/;

/** `windows` (monotonic µs, as V8 stamps samples): only samples inside one of them count; none: all. */
export function summarizeProfile(file, windows = []) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const inWindow = (t) => !windows.length || windows.some((w) => t >= w.startUs && t <= w.endUs);
  let stamp = profile.startTime;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const startupCache = new Map();
  const isStartup = (id) => {
    if (startupCache.has(id)) return startupCache.get(id);
    const n = nodes.get(id);
    const v = STARTUP.test(n.callFrame.url ?? '') || (parent.has(id) ? isStartup(parent.get(id)) : false);
    startupCache.set(id, v);
    return v;
  };
  const self = new Map();
  const inclusive = new Map();
  const frameKey = (n) => `${n.callFrame.functionName || '(anonymous)'} (${packageOf(n.callFrame.url, n.callFrame.functionName)}:${n.callFrame.lineNumber + 1})`;
  const byPackage = new Map();
  let total = 0;
  let startup = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    stamp += profile.timeDeltas[i] ?? 0;
    const dt = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000; // ms until the next sample
    if (!inWindow(stamp)) continue;
    const n = nodes.get(id);
    const fn = n.callFrame.functionName || '(anonymous)';
    if (fn === '(idle)') {
      idle += dt;
      continue;
    }
    if (isStartup(id)) {
      startup += dt;
      continue;
    }
    total += dt;
    const pkg = packageOf(n.callFrame.url, fn);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
    const key = `${fn} (${pkg}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''})`;
    self.set(key, (self.get(key) ?? 0) + dt);
    // Inclusive time of our own code's frames (services, libs, gateway, bench): where requests spend it.
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const f = nodes.get(cur);
      if (!/\/(services|libs|gateway|bench)\//.test(f.callFrame.url ?? '')) continue;
      const k = frameKey(f);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
  const top = (map, k) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, ms]) => ({ name, ms: Math.round(ms), share: total ? +((100 * ms) / total).toFixed(1) : 0 }));
  return { busyMs: Math.round(total), startupMs: Math.round(startup), idleMs: Math.round(idle), packages: top(byPackage, 15), functions: top(self, 20), ownCodeInclusive: top(inclusive, 20) };
}

/** Every process's profile under a run's directory (one sub-directory per process). */
export function summarizeProfiles(dir, windows = []) {
  const out = {};
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const sub = path.join(dir, name);
    if (!statSync(sub).isDirectory()) continue;
    const files = readdirSync(sub).filter((f) => f.endsWith('.cpuprofile'));
    if (files.length) out[name] = summarizeProfile(path.join(sub, files.sort().pop()), windows);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const windowsFile = path.join(process.argv[2], 'windows.json');
  const only = process.argv[3];
  const windows = existsSync(windowsFile) ? JSON.parse(readFileSync(windowsFile, 'utf8')).filter((w) => !only || w.name.startsWith(only)) : [];
  const summary = summarizeProfiles(process.argv[2], windows);
  for (const [name, s] of Object.entries(summary)) {
    console.log(`\n${name}: ${s.busyMs} ms busy (start-up ${s.startupMs} ms and idle ${s.idleMs} ms left out)`);
    console.log('  by package: ' + s.packages.map((p) => `${p.name} ${p.share}%`).join(', '));
    for (const f of s.functions.slice(0, 12)) console.log(`    ${String(f.share).padStart(5)}%  ${f.name}`);
    console.log('  own code, inclusive:');
    for (const f of s.ownCodeInclusive.slice(0, 12)) console.log(`    ${String(f.share).padStart(5)}%  ${f.name}`);
  }
}
