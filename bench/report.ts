/**
 * The benchmark's report: bench/results/<name>.json (every measurement), .md
 * (the tables the README quotes) and .svg (requests/s and p95 per variant and
 * scenario, drawn here so the report needs nothing but Node).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Measurement {
  round: number;
  scenario: string;
  variant: string;
  label: string;
  connections: number;
  /** A run of a fixed number of requests in all (a replay), without a warm-up; absent on timed runs. */
  amount?: number;
  requests: number;
  rps: number;
  /** Mean latency (ms); absent from reports written before it was recorded. */
  mean?: number;
  p50: number;
  p95: number;
  p99: number;
  /** A mix's latencies per kind of request (S1, S3, V1, W1/W2): which kinds its tail is made of. */
  byKind?: Record<string, { requests: number; p50: number; p95: number }>;
  errors: number;
  firstError?: string;
  /** The errors by kind (`GraphQL CONFLICT (W1/W2)`, `HTTP 503 ... (S3)`, `timeout`, `connection ECONNRESET`), when there were any. */
  errorsByKind?: Record<string, number>;
  /** The first answer (or error) of each of those kinds. */
  errorExamples?: Record<string, string>;
  sqlPerRequest: number;
  redisPerRequest: number;
  /** GC's share of the server's CPU time over the measured run (Δ gcMs / Δ cpuMs of its /bench/stats), when it reports both. */
  gcShare?: number;
  /** The gateway cache's hits over its lookups (fragments and responses) during the measured run, when it looked any up. */
  hitRate?: number;
  /** Set when the server's process exited during the measured run. */
  exited?: string;
}

export interface Ratio {
  name: string;
  target: string;
  /** What the figure is when it is not a plain ratio: milliseconds, or a share shown as a percentage. */
  unit?: 'ms' | '%';
  perRound: number[];
  median: number | null;
  met: boolean;
}

export interface BenchReport {
  date: string;
  machine: string;
  method: {
    rounds: number;
    warmupSeconds: number;
    measuredSeconds: number;
    connections: number;
    quick: boolean;
    seed: unknown;
    s4Position: number;
    /** Why the method is what it is (shorter runs, fewer runs), in one sentence. */
    note?: string;
    /** The replay that runs in every round: its name, the document it sends, and how. */
    replay?: { name: string; document: string; connections: number; amount: number; label: string };
  };
  measurements: Measurement[];
  ratios: Ratio[];
  excluded: Record<string, string>;
  durationSeconds: number;
  /** Keys per primary of the bench's Redis Cluster after the cluster variant's runs (issue 19). */
  clusterKeys?: Record<string, number>;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const fixed = (value: number, digits = 1) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
/** The median of the values some runs have, or undefined when none has one. */
const medianOf = (values: (number | undefined)[]) => {
  const present = values.filter((value): value is number => value !== undefined && Number.isFinite(value));
  return present.length > 0 ? median(present) : undefined;
};
const percent = (share: number | undefined) => (share === undefined ? 'n/a' : `${fixed(100 * share)} %`);
/** A ratio's figure as its unit says: 1.23, 123.4 ms, 12.3 %. */
const figure = (ratio: Ratio, value: number) => (ratio.unit === 'ms' ? `${fixed(value)} ms` : ratio.unit === '%' ? percent(value) : fixed(value, 2));

/** One row per scenario, variant and connection count: the median over its rounds. */
export function summarize(measurements: readonly Measurement[]): Measurement[] {
  const groups = new Map<string, Measurement[]>();
  for (const m of measurements) {
    const key = `${m.scenario}|${m.variant}|${m.connections}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  return [...groups.values()].map((runs) => ({
    ...runs[0]!,
    round: runs.length,
    requests: runs.reduce((sum, m) => sum + m.requests, 0),
    rps: median(runs.map((m) => m.rps)),
    p50: median(runs.map((m) => m.p50)),
    p95: median(runs.map((m) => m.p95)),
    p99: median(runs.map((m) => m.p99)),
    errors: runs.reduce((sum, m) => sum + m.errors, 0),
    sqlPerRequest: median(runs.map((m) => m.sqlPerRequest)),
    redisPerRequest: median(runs.map((m) => m.redisPerRequest)),
    ...(runs.some((m) => m.mean !== undefined) ? { mean: medianOf(runs.map((m) => m.mean))! } : {}),
    ...(runs.some((m) => m.gcShare !== undefined) ? { gcShare: medianOf(runs.map((m) => m.gcShare))! } : {}),
    ...(runs.some((m) => m.hitRate !== undefined) ? { hitRate: medianOf(runs.map((m) => m.hitRate))! } : {}),
  }));
}

/** The timed runs' table, one row per scenario, variant and connection count (none when only a replay ran). */
function runLines(rows: readonly Measurement[]): string[] {
  if (rows.length === 0) return [];
  return [
    '',
    '## Every run (median over its rounds)',
    '',
    'GC % of CPU: the time the server spent in garbage collection (perf_hooks `gc` entries) over the CPU time it used (user + system) during the measured run. ' +
      'Cache hits: the gateway cache’s hits over its lookups (fragments and whole responses; a response lookup counts once), during the measured run.',
    '',
    '| scenario | variant | conn. | rounds | req/s | p50 ms | p95 ms | p99 ms | errors | SQL/req | Redis cmd/req | GC % of CPU | cache hits |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (m) =>
        `| ${m.scenario} | ${m.label} | ${m.connections} | ${m.round} | ${fixed(m.rps)} | ${fixed(m.p50)} | ${fixed(m.p95)} | ${fixed(m.p99)} | ${m.errors} | ` +
        `${fixed(m.sqlPerRequest, 2)} | ${fixed(m.redisPerRequest, 2)} | ${percent(m.gcShare)} | ${percent(m.hitRate)} |`,
    ),
  ];
}

/**
 * A mix's latencies per kind of request (S5: the reads S1 S2 S3, the version read V1, the writes W1/W2),
 * the median over rounds: which kinds its p95 is made of.
 */
function mixLines(report: BenchReport): string[] {
  const runs = report.measurements.filter((m) => m.byKind !== undefined);
  if (runs.length === 0) return [];
  const groups = new Map<string, Measurement[]>();
  for (const m of runs) groups.set(`${m.scenario}|${m.label}|${m.connections}`, [...(groups.get(`${m.scenario}|${m.label}|${m.connections}`) ?? []), m]);
  const lines = [
    '',
    '## Mixes by kind of request (median over rounds)',
    '',
    'Each kind’s share of the requests, and its p50 and p95 latency: which kinds a mix’s tail is made of.',
    '',
    '| scenario | variant | kind | requests | p50 ms | p95 ms |',
    '| --- | --- | --- | ---: | ---: | ---: |',
  ];
  for (const group of groups.values()) {
    const kinds = [...new Set(group.flatMap((m) => Object.keys(m.byKind!)))].sort();
    for (const kind of kinds) {
      const entries = group.map((m) => m.byKind![kind]).filter((entry) => entry !== undefined);
      lines.push(
        `| ${group[0]!.scenario} | ${group[0]!.label} | ${kind} | ${entries.reduce((sum, entry) => sum + entry.requests, 0)} | ` +
          `${fixed(median(entries.map((entry) => entry.p50)))} | ${fixed(median(entries.map((entry) => entry.p95)))} |`,
      );
    }
  }
  return lines;
}

/** The replay's rows: one per round, then their median. */
function replayLines(report: BenchReport): string[] {
  const runs = report.measurements.filter((m) => m.amount !== undefined).sort((a, b) => a.round - b.round);
  const replay = report.method.replay;
  if (runs.length === 0) return [];
  const row = (what: string, m: Measurement) =>
    `| ${what} | ${m.requests} | ${m.mean === undefined ? 'n/a' : fixed(m.mean)} | ${fixed(m.p95)} | ${fixed(m.p99)} | ${m.errors} | ${fixed(m.sqlPerRequest, 2)} |`;
  const [summary] = summarize(runs);
  return [
    '',
    `## ${replay ? `${replay.name} replay` : 'Replay'} (median over rounds)`,
    '',
    replay
      ? `${replay.connections} connections send ${replay.amount} requests of ${replay.document} in all (autocannon's \`amount\`), without a warm-up of their own, ` +
        `to the ${replay.label}, in every round after the ${replay.document} runs.`
      : '',
    '',
    '| round | requests | mean ms | p95 ms | p99 ms | errors | SQL/req |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...runs.map((m) => row(String(m.round), m)),
    ...(summary && runs.length > 1 ? [row('median', summary)] : []),
  ];
}

function markdown(report: BenchReport): string {
  const rows = summarize(report.measurements.filter((m) => m.amount === undefined)).sort((a, b) => a.scenario.localeCompare(b.scenario) || b.connections - a.connections);
  const lines = [
    `# Benchmark ${report.date.slice(0, 10)}`,
    '',
    `Machine: ${report.machine}.`,
    '',
    `Method: ${report.method.rounds} round(s) for the ratio groups, ${report.method.warmupSeconds} s warm-up and ${report.method.measuredSeconds} s measured per run, ` +
      `${report.method.connections} connections (and S1 at 1). ${report.method.note ? `${report.method.note} ` : ''}` +
      `Seed: ${JSON.stringify(report.method.seed)}. The whole run took ${report.durationSeconds} s.`,
    '',
    '## Ratios (median of the per-round ratios)',
    '',
    '| ratio | target | median | per round | met |',
    '| --- | --- | ---: | --- | --- |',
    ...report.ratios.map(
      (r) =>
        `| ${r.name} | ${r.target} | ${r.median === null ? 'n/a' : figure(r, r.median)} | ${r.perRound.map((v) => figure(r, v)).join(', ')} | ${r.target === 'reported' ? '—' : r.met ? 'yes' : '**no**'} |`,
    ),
    ...runLines(rows),
    ...mixLines(report),
    ...replayLines(report),
  ];
  if (report.clusterKeys) {
    const counts = Object.values(report.clusterKeys);
    const total = counts.reduce((sum, count) => sum + count, 0);
    lines.push(
      '',
      '## Redis Cluster: keys per primary after the cluster variant\'s runs',
      '',
      '| primary | keys | share |',
      '| --- | ---: | ---: |',
      ...Object.entries(report.clusterKeys).map(([node, count]) => `| ${node} | ${count.toLocaleString('en-US')} | ${total > 0 ? fixed((100 * count) / total) : '0.0'}% |`),
    );
  }
  const failed = report.measurements.filter((m) => m.firstError);
  if (failed.length > 0) {
    const kinds = (m: Measurement) =>
      m.errorsByKind ? ` (${Object.entries(m.errorsByKind).map(([kind, count]) => `${kind}: ${count}`).join(', ')})` : '';
    lines.push(
      '',
      '## First error of each run that had errors',
      '',
      ...failed.map((m) => `- ${m.scenario} / ${m.label} / round ${m.round}: \`${m.firstError!.replace(/`/g, "'")}\`${kinds(m)}`),
    );
  }
  if (Object.keys(report.excluded).length > 0) {
    lines.push('', '## Excluded (answer not byte-identical to the gateway)', '', ...Object.entries(report.excluded).map(([key, why]) => `- ${key}: ${why}`));
  }
  return `${lines.join('\n')}\n`;
}

const COLORS: Record<string, string> = {
  gateway: '#1f77b4',
  'gateway-warm': '#2ca02c',
  'gateway-warm-cluster': '#8c564b',
  'gateway-naive': '#d62728',
  raw: '#7f7f7f',
  apollo: '#17becf',
  yoga: '#9467bd',
  'join-monster': '#ff7f0e',
};

/** Two panels of grouped bars (log scale for req/s, linear for p95), 20-connection timed runs only (no replay). */
function svg(report: BenchReport): string {
  const timed = report.measurements.filter((m) => m.amount === undefined);
  const rows = summarize(timed).filter((m) => m.connections === Math.max(...timed.map((x) => x.connections)));
  const scenarios = [...new Set(rows.map((m) => m.scenario))].sort();
  const variants = Object.keys(COLORS).filter((variant) => rows.some((m) => m.variant === variant));
  const width = 980;
  const panelHeight = 260;
  const left = 70;
  const groupWidth = (width - left - 20) / scenarios.length;
  const barWidth = Math.min(22, (groupWidth - 16) / variants.length);
  const parts: string[] = [];
  const panel = (top: number, title: string, value: (m: { rps: number; p95: number }) => number, log: boolean, unit: string) => {
    const max = Math.max(...rows.map(value), 1);
    const scale = (v: number) => (log ? Math.log10(Math.max(v, 1)) / Math.log10(max * 1.2) : v / (max * 1.1)) * panelHeight;
    parts.push(`<text x="${left}" y="${top - 8}" font-size="14" font-weight="bold">${title}</text>`);
    parts.push(`<line x1="${left}" y1="${top + panelHeight}" x2="${width - 10}" y2="${top + panelHeight}" stroke="#333"/>`);
    const ticks = log ? [1, 10, 100, 1000, 10000].filter((t) => t <= max * 1.2) : [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * max * 1.1));
    for (const tick of ticks) {
      const y = top + panelHeight - scale(tick);
      parts.push(`<line x1="${left - 4}" y1="${y}" x2="${width - 10}" y2="${y}" stroke="#ddd"/><text x="${left - 8}" y="${y + 4}" font-size="10" text-anchor="end">${tick}${unit}</text>`);
    }
    scenarios.forEach((scenario, i) => {
      const x0 = left + i * groupWidth + 8;
      parts.push(`<text x="${x0 + (barWidth * variants.length) / 2}" y="${top + panelHeight + 16}" font-size="12" text-anchor="middle">${scenario}</text>`);
      variants.forEach((variant, j) => {
        const m = rows.find((row) => row.scenario === scenario && row.variant === variant);
        if (!m) return;
        const h = scale(value(m));
        parts.push(
          `<rect x="${x0 + j * barWidth}" y="${top + panelHeight - h}" width="${barWidth - 2}" height="${h}" fill="${COLORS[variant]}"><title>${m.label} ${scenario}: ${fixed(value(m))}${unit}</title></rect>`,
        );
      });
    });
  };
  panel(40, `Requests per second (log scale), ${rows[0]?.connections ?? 20} connections`, (m) => m.rps, true, '');
  panel(40 + panelHeight + 70, 'p95 latency (ms)', (m) => m.p95, false, '');
  const legendTop = 40 + 2 * panelHeight + 110;
  variants.forEach((variant, j) => {
    const label = rows.find((m) => m.variant === variant)?.label ?? variant;
    const x = left + (j % 3) * 300;
    const y = legendTop + Math.floor(j / 3) * 18;
    parts.push(`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${COLORS[variant]}"/><text x="${x + 18}" y="${y}" font-size="12">${label}</text>`);
  });
  const height = legendTop + Math.ceil(variants.length / 3) * 18 + 20;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" viewBox="0 0 ${width} ${height}">
<rect width="100%" height="100%" fill="white"/>
<text x="${left}" y="20" font-size="12" fill="#555">${report.date.slice(0, 10)} · ${report.machine.replace(/&/g, '&amp;')}</text>
${parts.join('\n')}
</svg>
`;
}

export function writeReport(report: BenchReport, folder: string, name: string): string[] {
  mkdirSync(folder, { recursive: true });
  const files = {
    json: path.join(folder, `${name}.json`),
    md: path.join(folder, `${name}.md`),
    svg: path.join(folder, `${name}.svg`),
  };
  writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(files.md, markdown(report));
  writeFileSync(files.svg, svg(report));
  return Object.values(files);
}

// ---------------------------------------------------------------------------------------------- soak

export interface SoakSample {
  /** start: after the warm-up, server drained; load: during the measured run; end: after it, drained. */
  phase: 'start' | 'load' | 'end';
  /** Seconds since the measured run started. */
  seconds: number;
  /** From the gateway's GET /metrics: nodejs_heap_size_used_bytes, process_resident_memory_bytes. */
  heapUsedBytes: number | null;
  rssBytes: number | null;
  /** Redis' used_memory (the cache's entries and tag sets). */
  redisUsedMemoryBytes: number | null;
  /** Responses and errors of the measured run so far. */
  requests: number;
  errors: number;
  /** Why the gateway's memory could not be read. */
  failure?: string;
}

export interface MemoryTrend {
  metric: string;
  startBytes: number | null;
  endBytes: number | null;
  deltaBytes: number | null;
  /** Least-squares slope over the samples taken under load in the second half of the run, and its standard error. */
  secondHalfSlopeBytesPerMinute: number | null;
  secondHalfSlopeErrorBytesPerMinute: number | null;
  secondHalfSamples: number;
  /** Growth up to this is noise (garbage not yet collected): the larger of 10% of the start and a floor. */
  toleranceBytes: number | null;
  /**
   * Up by more than the tolerance end vs start, and over the second half by a slope that is significant (at
   * least twice its standard error: the heap's sawtooth is no trend) and projects past the tolerance.
   * Never on runs under 5 minutes, or with fewer than 5 samples in the second half: those are not judged.
   */
  grew: boolean;
  /** False when the run was too short (or had too few samples) to call growth either way. */
  judged: boolean;
  status: string;
}

export interface SoakReport {
  kind: 'soak';
  date: string;
  machine: string;
  method: {
    scenario: string;
    variant: string;
    label: string;
    connections: number;
    warmupSeconds: number;
    soak: string;
    soakSeconds: number;
    sampleEverySeconds: number;
    seed: unknown;
  };
  measurement: Measurement;
  /** Non-2xx answers, GraphQL errors, timeouts, connection errors (and the gateway exiting, counted once). */
  errors: number;
  errorsByKind: Record<string, number>;
  samples: SoakSample[];
  memory: MemoryTrend[];
  passed: boolean;
  verdict: string;
  durationSeconds: number;
}

const MiB = 1048576;
const mib = (bytes: number | null, sign = false) => (bytes === null ? 'n/a' : `${sign && bytes >= 0 ? '+' : ''}${fixed(bytes / MiB)} MiB`);

/** The least-squares slope of y over x, with its standard error (at least 3 points). */
function slope(points: readonly [number, number][]): { slope: number; standardError: number } {
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxx = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  const sxy = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0);
  if (sxx === 0) return { slope: 0, standardError: 0 };
  const b = sxy / sxx;
  const residuals = points.reduce((sum, [x, y]) => sum + (y - meanY - b * (x - meanX)) ** 2, 0);
  return { slope: b, standardError: Math.sqrt(residuals / Math.max(1, n - 2) / sxx) };
}

/**
 * Did a metric grow? End vs start (both with the server idle and drained), and the slope over the
 * samples under load in the second half of the run, projected over that half: a rise in the first
 * half that has levelled off (warm-up: caches, JIT, pools) is not growth.
 */
/** Shorter runs report their memory figures without a judgement. */
const MIN_JUDGED_SECONDS = 300;

export function memoryTrend(metric: string, samples: readonly SoakSample[], value: (sample: SoakSample) => number | null, runSeconds: number, floorBytes: number): MemoryTrend {
  const start = samples.find((s) => s.phase === 'start');
  const startBytes = start ? value(start) : null;
  const end = [...samples].reverse().find((s) => s.phase === 'end' && value(s) !== null) ?? [...samples].reverse().find((s) => s.phase === 'load' && value(s) !== null);
  const endBytes = end ? value(end) : null;
  const half = samples.filter((s) => s.phase === 'load' && s.seconds >= runSeconds / 2 && value(s) !== null);
  const fit = half.length >= 3 ? slope(half.map((s) => [s.seconds, value(s)!])) : null;
  const perSecond = fit?.slope ?? null;
  const base = {
    metric,
    startBytes,
    endBytes,
    secondHalfSamples: half.length,
    secondHalfSlopeBytesPerMinute: fit ? fit.slope * 60 : null,
    secondHalfSlopeErrorBytesPerMinute: fit ? fit.standardError * 60 : null,
  };
  if (startBytes === null || endBytes === null) {
    return { ...base, deltaBytes: null, toleranceBytes: null, grew: false, judged: false, status: 'not judged: the start or end sample is missing' };
  }
  const deltaBytes = endBytes - startBytes;
  const toleranceBytes = Math.max(0.1 * startBytes, floorBytes);
  const rose = deltaBytes > toleranceBytes;
  const tail = `${end!.phase === 'end' ? '' : ' (end: last sample under load)'}`;
  if (perSecond === null || half.length < 5 || runSeconds < MIN_JUDGED_SECONDS) {
    // The heap swings by hundreds of MiB between collections, over seconds: a short run shows that sawtooth, no trend.
    const why = runSeconds < MIN_JUDGED_SECONDS ? `the run is under ${MIN_JUDGED_SECONDS / 60} min` : 'fewer than 5 samples in the second half';
    return { ...base, deltaBytes, toleranceBytes, grew: false, judged: false, status: `not judged: ${why}${tail}` };
  }
  const rising = perSecond * (runSeconds / 2) > toleranceBytes && perSecond > 2 * fit!.standardError;
  const status =
    rose && rising
      ? 'GROWING: up end vs start and still rising in the second half'
      : rose
        ? 'no growth: up end vs start, but no significant rise in the second half (warm-up or garbage not yet collected)'
        : rising
          ? 'inconclusive: rising in the second half, but end vs start within tolerance (soak longer)'
          : 'no growth';
  return { ...base, deltaBytes, toleranceBytes, grew: rose && rising, judged: true, status: `${status}${tail}` };
}

/** The soak's report: the run, its samples, the memory trends and the verdict. */
export function buildSoakReport(input: Pick<SoakReport, 'date' | 'machine' | 'method' | 'measurement' | 'samples' | 'durationSeconds'>): SoakReport {
  const { measurement, samples } = input;
  const errorsByKind = { ...(measurement.errorsByKind ?? {}) };
  let errors = measurement.errors;
  if (measurement.exited) {
    errorsByKind[`gateway process: ${measurement.exited}`] = 1;
    errors += 1;
  }
  const runSeconds = measurement.requests > 0 && measurement.rps > 0 ? measurement.requests / measurement.rps : input.method.soakSeconds;
  const memory = [
    memoryTrend('heap used', samples, (s) => s.heapUsedBytes, runSeconds, 8 * MiB),
    memoryTrend('RSS', samples, (s) => s.rssBytes, runSeconds, 16 * MiB),
  ];
  const passed = errors === 0;
  const grew = memory.filter((m) => m.grew);
  const head = !passed
    ? `FAIL (${errors} errors)`
    : grew.length > 0
      ? `MEMORY GROWTH (${grew.map((m) => m.metric).join(', ')})`
      : memory.every((m) => m.judged)
        ? 'PASS'
        : 'PASS on errors (memory not judged)';
  const kinds = Object.entries(errorsByKind).map(([kind, count]) => `${kind}: ${count}`);
  const trend = (m: MemoryTrend) =>
    `${m.metric} ${mib(m.startBytes)} -> ${mib(m.endBytes)} (${mib(m.deltaBytes, true)}; second half ` +
    `${m.secondHalfSlopeBytesPerMinute === null ? 'n/a' : `${mib(m.secondHalfSlopeBytesPerMinute, true)}/min ± ${mib(m.secondHalfSlopeErrorBytesPerMinute)}`}): ${m.status}`;
  const verdict = `${head}: ${errors} errors in ${measurement.requests} requests${kinds.length > 0 ? ` (${kinds.join(', ')})` : ''}; ${memory.map(trend).join('; ')}`;
  return { kind: 'soak', ...input, errors, errorsByKind, memory, passed, verdict };
}

const finite = (value: number, digits = 2) => (Number.isFinite(value) ? fixed(value, digits) : 'n/a');

function soakMarkdown(report: SoakReport): string {
  const m = report.measurement;
  const lines = [
    `# Soak ${report.date.slice(0, 10)}: ${report.method.scenario} on the ${report.method.label}, ${report.method.soak}`,
    '',
    `Machine: ${report.machine}.`,
    '',
    `Method: \`npm run bench -- --soak ${report.method.soak}\`. The ${report.method.scenario} mix (per cycle of ten requests on one connection: S1 S2 S3 S1 S2 S3 S1 S3, ` +
      `the version of a record, one write on rows no other connection writes at the time) at ${report.method.connections} connections against the ${report.method.label} ` +
      `(production mode, documents by APQ hash), after the suite's answer checks and a ${report.method.warmupSeconds} s warm-up, for ${report.method.soakSeconds} s. ` +
      `Heap used (\`nodejs_heap_size_used_bytes\`) and RSS (\`process_resident_memory_bytes\`) come from the gateway's own GET /metrics: ` +
      `at start (after the warm-up, server drained), every ${report.method.sampleEverySeconds} s under load, and at end (after the run, drained). ` +
      `Seed: ${JSON.stringify(report.method.seed)}. The whole soak took ${report.durationSeconds} s.`,
    '',
    `**Verdict:** ${report.verdict}`,
    '',
    '## Load',
    '',
    '| requests | req/s | p50 ms | p95 ms | p99 ms | errors | SQL/req | Redis cmd/req |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${m.requests.toLocaleString('en-US')} | ${fixed(m.rps)} | ${fixed(m.p50)} | ${fixed(m.p95)} | ${fixed(m.p99)} | ${report.errors} | ${finite(m.sqlPerRequest)} | ${finite(m.redisPerRequest)} |`,
    '',
    '## Errors by kind',
    '',
  ];
  const kinds = Object.entries(report.errorsByKind);
  if (kinds.length === 0) lines.push('None: every answer was a 2xx without GraphQL errors; no timeouts, no connection errors.');
  else {
    const example = (kind: string) => (m.errorExamples?.[kind] ?? '').replace(/\s+/g, ' ').replace(/\|/g, '/').replace(/`/g, "'");
    lines.push('| kind (request) | count | first of the kind |', '| --- | ---: | --- |', ...kinds.map(([kind, count]) => `| ${kind} | ${count} | \`${example(kind).slice(0, 200)}\` |`));
  }
  lines.push(
    '',
    '## Memory (gateway process)',
    '',
    '| metric | start | end | end − start | slope, second half | tolerance | status |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...report.memory.map(
      (t) =>
        `| ${t.metric} | ${mib(t.startBytes)} | ${mib(t.endBytes)} | ${mib(t.deltaBytes, true)} | ` +
        `${t.secondHalfSlopeBytesPerMinute === null ? 'n/a' : `${mib(t.secondHalfSlopeBytesPerMinute, true)}/min ± ${mib(t.secondHalfSlopeErrorBytesPerMinute)} (${t.secondHalfSamples} samples)`} | ` +
        `${mib(t.toleranceBytes)} | ${t.status} |`,
    ),
    '',
    'A metric grew when it is up by more than the tolerance (10% of its start, at least 8 MiB for the heap and 16 MiB for RSS) end vs start, ' +
      'and its least-squares slope over the samples under load in the second half of the run is at least twice its standard error and, projected over that half, ' +
      'also exceeds the tolerance: a rise in the first half that has levelled off is warm-up (caches, JIT, pools), and the heap\'s sawtooth between collections is no trend. ' +
      'Runs under 5 minutes (or with fewer than 5 samples in their second half) are not judged. ' +
      'Start and end are read with the server idle, but without a forced collection: they include garbage not yet collected.',
    '',
    '## Samples',
    '',
    '| phase | t (s) | heap used (MiB) | RSS (MiB) | Redis used memory (MiB) | requests | errors | req/s since previous |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  let previous: SoakSample | undefined;
  for (const s of report.samples) {
    const rate = previous && s.phase !== 'end' && s.seconds > previous.seconds ? fixed((s.requests - previous.requests) / (s.seconds - previous.seconds)) : '';
    const value = (bytes: number | null) => (bytes === null ? 'n/a' : fixed(bytes / MiB));
    lines.push(
      `| ${s.phase} | ${fixed(s.seconds)} | ${value(s.heapUsedBytes)} | ${value(s.rssBytes)} | ${value(s.redisUsedMemoryBytes)} | ${s.requests.toLocaleString('en-US')} | ${s.errors} | ${rate} |` +
        (s.failure ? ` sample failed: ${s.failure.replace(/\|/g, '/')}` : ''),
    );
    previous = s;
  }
  return `${lines.join('\n')}\n`;
}

/** What the soak prints when it ends. */
export function soakSummary(report: SoakReport): string {
  const m = report.measurement;
  const kinds = Object.entries(report.errorsByKind);
  return [
    `Soak ${report.method.soak}: ${report.method.scenario} on the ${report.method.label}, ${report.method.connections} connections`,
    `  requests ${m.requests}, ${fixed(m.rps)} req/s, p50 ${fixed(m.p50)} ms, p99 ${fixed(m.p99)} ms, SQL/req ${finite(m.sqlPerRequest)}, Redis cmd/req ${finite(m.redisPerRequest)}`,
    `  errors ${report.errors}${kinds.length > 0 ? `: ${kinds.map(([kind, count]) => `${kind}: ${count}`).join(', ')}` : ''}`,
    ...report.memory.map(
      (t) =>
        `  ${t.metric.padEnd(9)} start ${mib(t.startBytes)}, end ${mib(t.endBytes)} (${mib(t.deltaBytes, true)}), second half ` +
        `${t.secondHalfSlopeBytesPerMinute === null ? 'n/a' : `${mib(t.secondHalfSlopeBytesPerMinute, true)}/min ± ${mib(t.secondHalfSlopeErrorBytesPerMinute)}`}: ${t.status}`,
    ),
    `  ${report.samples.length} samples (${report.samples.filter((s) => s.failure).length} failed)`,
    `Verdict: ${report.verdict}`,
  ].join('\n');
}

export function writeSoakReport(report: SoakReport, folder: string, name: string): string[] {
  mkdirSync(folder, { recursive: true });
  const files = { json: path.join(folder, `${name}.json`), md: path.join(folder, `${name}.md`) };
  writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(files.md, soakMarkdown(report));
  return Object.values(files);
}

/** `tsx bench/report.ts <name>`: rewrites bench/results/<name>.{md,svg} (a soak's .json and .md) from its .json (after a change to this file). */
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const name = process.argv[2] ?? 'latest';
  const folder = path.join(path.dirname(new URL(import.meta.url).pathname), 'results');
  const report = JSON.parse(readFileSync(path.join(folder, `${name}.json`), 'utf8')) as BenchReport | SoakReport;
  // A soak's trends and verdict are recomputed from its samples, so a change to their rules reaches old reports.
  const written = 'kind' in report && report.kind === 'soak' ? writeSoakReport(buildSoakReport(report), folder, name) : writeReport(report as BenchReport, folder, name);
  process.stdout.write(`${written.join('\n')}\n`);
}
