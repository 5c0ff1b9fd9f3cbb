// Renders a run's results: a plain-text table for the terminal and a Markdown report (bench/.work/last-run.md).

const fmt = (v, digits = 1) => (v === null || v === undefined || Number.isNaN(v) ? '—' : typeof v === 'number' ? v.toFixed(digits).replace(/\.0+$/, '') : String(v));
const mib = (v) => (v === undefined || v === null ? '—' : `${Math.round(v)}`);
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '—');

function memoryOf(run, names) {
  if (!run?.memory) return { gateway: null, subgraphs: null, total: null };
  const peak = run.memory.peak;
  const gateway = names.gateway ? peak[names.gateway] : null;
  const subgraphs = names.subgraphs.reduce((n, s) => n + (peak[s] ?? 0), 0) || null;
  return { gateway, subgraphs, total: (gateway ?? 0) + (subgraphs ?? 0) || null };
}

const SUBGRAPHS = ['work', 'permits', 'competence', 'documents', 'hazards', 'change', 'compliance'];

/** Rows of the main table: one per (server, scenario). */
export function rows(results) {
  const out = [];
  const range = (min, max) => (min === max ? `${min}` : `${min}–${max}`);
  const statementsOf = (s) => (s?.statements ? range(s.statements.min, s.statements.max) : null);
  // Load requests do not ask for statement counts (counting costs the servers CPU); the count of the same
  // request comes from the checks before the load.
  const probed = (bySize) => bySize?.[results.flags?.boardFirst ?? 50]?.statements ?? null;
  const add = (server, scenario, run, names, statements) => {
    if (!run) return;
    const m = memoryOf(run, names);
    out.push({ server, scenario, rps: run.rps, p50: run.p50, p95: run.p95, p99: run.p99, errors: run.errors, requests: run.requests, statements: statementsOf(run) ?? statements ?? '—', gatewayRss: m.gateway, subgraphRss: m.subgraphs });
  };
  const ours = { gateway: 'gateway', subgraphs: SUBGRAPHS };
  const s = results.scenarios ?? {};
  const page = results.statements?.page;
  add('ours (@apollo/gateway)', 'board', s.board, ours, probed(results.statements?.board));
  add('ours (@apollo/gateway)', 'work item page', s.page, ours, page ? range(page.min, page.max) : null);
  add('ours (@apollo/gateway)', 'board under mutations', s.mutations, ours, probed(results.statements?.board));
  if (s.mutations?.mutations) {
    const m = s.mutations.mutations;
    const st = Object.values(m.byMutation).map((x) => x.statements).filter((x) => x !== null);
    out.push({ server: 'ours (@apollo/gateway)', scenario: `  mutations (start/complete/verify)`, rps: m.achievedRate, p50: m.p50, p95: m.p95, p99: m.p99, errors: m.errors, requests: m.sent, statements: st.length ? `${Math.min(...st)}–${Math.max(...st)}` : '—', gatewayRss: null, subgraphRss: null });
  }
  add('no-federation baseline', 'board', results.baseline?.board, { gateway: 'baseline', subgraphs: [] }, probed(results.baseline?.statements));
  add('peer (@graphql-hive/gateway)', 'board (default: in-flight dedupe)', results.peer?.board, { gateway: 'peer', subgraphs: SUBGRAPHS }, probed(results.peer?.statements));
  add('peer (@graphql-hive/gateway)', 'board (in-flight dedupe off)', results.peerNoDedupe?.board, { gateway: 'peer', subgraphs: SUBGRAPHS }, probed(results.peerNoDedupe?.statements));
  return out;
}

export function renderTable(results) {
  const lines = [];
  const r = rows(results);
  const head = ['server', 'scenario', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'SQL/req', 'gw RSS MiB', 'subgraphs RSS MiB'];
  const data = r.map((x) => [x.server, x.scenario, fmt(x.rps), fmt(x.p50), fmt(x.p95), fmt(x.p99), `${x.errors}/${x.requests}`, x.statements, mib(x.gatewayRss), mib(x.subgraphRss)]);
  const widths = head.map((h, i) => Math.max(h.length, ...data.map((d) => String(d[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  if (results.flags.tune?.length) lines.push(`(our processes ran with levers applied: ${results.flags.tune.join(', ')})`);
  lines.push(`Opsgraph benchmark — ${results.seed?.scale} plant (seed ${results.seed?.seed}), ${results.flags.connections} connections, ${results.flags.duration} s per scenario, board of ${results.board?.items ?? '?'} items`);
  lines.push(line(head));
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const d of data) lines.push(line(d));
  lines.push('');
  for (const l of summaryLines(results)) lines.push(l);
  return lines.join('\n');
}

/**
 * Whether statements grow with the board: from 10 items up they must not (a board of one item may run fewer,
 * since some kinds of record, e.g. a change or a risk assessment, do not occur on it).
 */
function constancy(bySize) {
  const sized = Object.entries(bySize).filter(([n, v]) => Number(n) >= 10 && v.items > 0 && v.statements !== null);
  if (sized.length < 2) return 'not enough sizes to tell';
  const counts = sized.map(([, v]) => v.statements);
  const spread = Math.max(...counts) - Math.min(...counts);
  return spread <= 1 ? `constant in the number of items (${Math.min(...counts)}${spread ? `–${Math.max(...counts)}` : ''} from ${sized[0][0]} to ${sized[sized.length - 1][0]} items)` : `GROWS with the number of items (${counts.join(' → ')})`;
}

function summaryLines(results) {
  const out = [];
  const board = results.scenarios?.board;
  const base = results.baseline?.board;
  const peer = results.peer?.board;
  if (results.coldStart) out.push(`cold start (spawn → the graph answers a query across every subgraph): ${results.coldStart.totalMs} ms`);
  const st = results.statements?.board;
  if (st) {
    const sizes = Object.entries(st).map(([n, v]) => `${n} items→${v.statements}`).join(', ');
    out.push(`SQL statements per board request by board size (ours): ${sizes} → ${constancy(st)}`);
  }
  const bst = results.baseline?.statements;
  if (bst) out.push(`SQL statements per board request (no-federation baseline): ${Object.entries(bst).map(([n, v]) => `${n}→${v.statements}`).join(', ')} → ${constancy(bst)}`);
  for (const [label, p] of [['peer gateway', results.peer], ['peer gateway, dedupe off', results.peerNoDedupe]]) {
    if (p?.statements) out.push(`SQL statements per board request (${label}): ${Object.entries(p.statements).map(([n, v]) => `${n}→${v.statements}`).join(', ')}`);
  }
  if (results.statements?.page) out.push(`SQL statements per work item page: ${results.statements.page.min}–${results.statements.page.max}`);
  if (board && base) out.push(`board p99 vs no-federation baseline: ${ratio(board.p99, base.p99)} (target ≤ 2×: ${board.p99 <= 2 * base.p99 ? 'met' : 'NOT met'}); throughput ${ratio(board.rps, base.rps)}`);
  if (board && peer) out.push(`board throughput vs peer gateway (its defaults): ${ratio(board.rps, peer.rps)} (target ≥ 1×: ${board.rps >= peer.rps ? 'met' : 'NOT met'}); p99 ${ratio(board.p99, peer.p99)}`);
  const peerNd = results.peerNoDedupe?.board;
  if (board && peerNd) out.push(`board throughput vs peer gateway with in-flight dedupe off: ${ratio(board.rps, peerNd.rps)} (target ≥ 1×: ${board.rps >= peerNd.rps ? 'met' : 'NOT met'}); p99 ${ratio(board.p99, peerNd.p99)}`);
  else if (results.peer?.skipped) out.push(`peer gateway: ${results.peer.skipped}`);
  if (results.costs) out.push(`gateway cost rule: board ${results.costs.BOARD}, work item page ${results.costs.WORK_ITEM} (default limit ${results.costs.limit}; this run used OPSGRAPH_MAX_COST=${results.costs.runWith})`);
  if (results.baseline && results.baseline.sameAnswer !== true) out.push(`WARNING: the baseline's board differs from ours: ${JSON.stringify(results.baseline.sameAnswer).slice(0, 400)}`);
  if (results.peerNoDedupe?.sameAnswer !== undefined && results.peerNoDedupe.sameAnswer !== true) out.push(`WARNING: the peer gateway's (dedupe off) board differs from ours: ${JSON.stringify(results.peerNoDedupe.sameAnswer).slice(0, 400)}`);
  if (results.peer?.sameAnswer !== undefined && results.peer.sameAnswer !== true) out.push(`WARNING: the peer gateway's board differs from ours: ${JSON.stringify(results.peer.sameAnswer).slice(0, 400)}`);
  if (results.events) out.push(`events: ${results.events.skipped ?? results.events.failed ?? 'see last-run.json (events.output)'}`);
  for (const n of results.notes ?? []) out.push(`note: ${n}`);
  return out;
}

export function renderMarkdown(results) {
  const r = rows(results);
  const lines = [];
  lines.push(`# Benchmark run ${results.startedAt}`, '');
  lines.push(`Command: \`${results.command}\``, '');
  lines.push(`Machine: ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryGiB} GiB, ${results.machine.platform}, load average at start ${results.machine.loadAverage.join(' / ')}`, '');
  lines.push(`Versions: ${Object.entries(results.versions ?? {}).map(([k, v]) => `${k} ${v ?? '—'}`).join(', ')}`, '');
  lines.push(`Plant: ${results.seed?.scale} (seed ${results.seed?.seed}, anchor ${results.seed?.anchor?.slice(0, 10)}, ${results.seed?.reused ? 'reused' : `seeded in ${results.seed?.seconds} s`}); board: ${results.seed?.board?.siteCode}/${results.seed?.board?.areaCode}, ${results.board?.items} of ${results.seed?.board?.openItems} open items (of ${results.seed?.board?.items} in the area), ${results.board?.blockers} blockers, ${Math.round((results.board?.bytes ?? 0) / 1024)} KiB per answer`, '');
  lines.push('| server | scenario | req/s | p50 ms | p95 ms | p99 ms | errors | SQL statements/request | gateway RSS MiB (peak) | subgraphs RSS MiB (peak, sum) |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const x of r) lines.push(`| ${x.server} | ${x.scenario} | ${fmt(x.rps)} | ${fmt(x.p50)} | ${fmt(x.p95)} | ${fmt(x.p99)} | ${x.errors}/${x.requests} | ${x.statements} | ${mib(x.gatewayRss)} | ${mib(x.subgraphRss)} |`);
  lines.push('');
  for (const l of summaryLines(results)) lines.push(`- ${l}`);
  // Where the CPU goes: per process, per request served, and how many subgraph calls one request costs.
  const runs = [
    ['ours: board', results.scenarios?.board],
    ['ours: work item page', results.scenarios?.page],
    ['ours: board under mutations', results.scenarios?.mutations],
    ['peer (default): board', results.peer?.board],
    ['peer (dedupe off): board', results.peerNoDedupe?.board],
    ['no-federation baseline: board', results.baseline?.board],
  ].filter(([, run]) => run?.cpuMsPerRequest);
  if (runs.length) {
    const procs = ['gateway', 'peer', 'baseline', ...SUBGRAPHS].filter((p) => runs.some(([, run]) => run.cpuMsPerRequest[p] !== undefined));
    lines.push('', 'CPU ms per request served, by process (user + system, from /proc; Postgres not included):', '');
    lines.push(`| run | ${procs.join(' | ')} | total |`, `| --- |${procs.map(() => ' ---: |').join('')} ---: |`);
    for (const [label, run] of runs) {
      const v = procs.map((p) => run.cpuMsPerRequest[p]);
      lines.push(`| ${label} | ${v.map((x) => fmt(x)).join(' | ')} | ${fmt(v.reduce((n, x) => n + (x ?? 0), 0))} |`);
    }
    const calls = runs.filter(([, run]) => run.subgraphCallsPerRequest);
    if (calls.length) {
      lines.push('', 'Subgraph requests per client request (from each subgraph\'s request counter):', '');
      lines.push(`| run | ${SUBGRAPHS.join(' | ')} |`, `| --- |${SUBGRAPHS.map(() => ' ---: |').join('')}`);
      for (const [label, run] of calls) lines.push(`| ${label} | ${SUBGRAPHS.map((s) => fmt(run.subgraphCallsPerRequest[s], 2)).join(' | ')} |`);
    }
  }
  if (results.idleCpuPercent) lines.push('', `Idle CPU (no load, 5 s), % of one core: ${Object.entries(results.idleCpuPercent).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const loads = [['board', results.scenarios?.board], ['page', results.scenarios?.page], ['mutations', results.scenarios?.mutations], ['peer', results.peer?.board], ['peer no dedupe', results.peerNoDedupe?.board], ['baseline', results.baseline?.board]].filter(([, r]) => r?.loadAverage);
  if (loads.length) lines.push('', `Machine load average (1/5/15 min) at the end of each scenario: ${loads.map(([k, r]) => `${k} ${r.loadAverage.join('/')}`).join('; ')}`);
  const peaks = results.scenarios?.board?.memory?.peak;
  if (peaks) lines.push('', `Peak RSS per process during the board scenario (MiB): ${Object.entries(peaks).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')}`);
  if (results.coldStart) lines.push('', `Cold start, per process ready (ms): ${Object.entries(results.coldStart.perProcessReadyMs).map(([k, v]) => `${k} ${v}`).join(', ')}; whole graph ${results.coldStart.totalMs}`);
  if (results.events?.output) lines.push('', '```', ...results.events.output, '```');
  return lines.join('\n') + '\n';
}
