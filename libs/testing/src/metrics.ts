/** One sample of a Prometheus text exposition: `name{label="value",…} value`. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  samples: MetricSample[];
  /** How long the GET took, in ms. */
  ms: number;
  /** Samples of `name` whose labels include `labels`. */
  all(name: string, labels?: Record<string, string>): MetricSample[];
  /** The single sample of `name` with `labels`; throws when there is none or several. */
  one(name: string, labels?: Record<string, string>): number;
  /** Sum of the samples of `name` with `labels` (0 when there is none). */
  sum(name: string, labels?: Record<string, string>): number;
}

const unescape = (value: string) => value.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));

/** Parses the Prometheus text format (what /metrics serves). */
export function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!match) throw new Error(`not a metric line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key] = unescape(value);
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** GETs a /metrics URL over plain HTTP and parses it. */
export async function scrapeMetrics(url: string): Promise<Scrape> {
  const started = Date.now();
  const res = await fetch(url);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 200)}`);
  const ms = Date.now() - started;
  const samples = parseMetrics(text);
  const all = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    samples,
    ms,
    all,
    one(name, labels) {
      const found = all(name, labels);
      if (found.length !== 1) throw new Error(`${name} ${JSON.stringify(labels ?? {})}: ${found.length} samples`);
      return found[0].value;
    },
    sum: (name, labels) => all(name, labels).reduce((total, s) => total + s.value, 0),
  };
}
