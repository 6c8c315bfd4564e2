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
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  firstError?: string;
  sqlPerRequest: number;
  redisPerRequest: number;
}

export interface Ratio {
  name: string;
  target: string;
  perRound: number[];
  median: number | null;
  met: boolean;
}

export interface BenchReport {
  date: string;
  machine: string;
  method: { rounds: number; warmupSeconds: number; measuredSeconds: number; connections: number; quick: boolean; seed: unknown; s4Position: number };
  measurements: Measurement[];
  ratios: Ratio[];
  excluded: Record<string, string>;
  durationSeconds: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const fixed = (value: number, digits = 1) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

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
  }));
}

function markdown(report: BenchReport): string {
  const rows = summarize(report.measurements).sort((a, b) => a.scenario.localeCompare(b.scenario) || b.connections - a.connections);
  const lines = [
    `# Benchmark ${report.date.slice(0, 10)}`,
    '',
    `Machine: ${report.machine}.`,
    '',
    `Method: ${report.method.rounds} round(s) for the ratio groups, ${report.method.warmupSeconds} s warm-up and ${report.method.measuredSeconds} s measured per run, ` +
      `${report.method.connections} connections (and S1 at 1). Seed: ${JSON.stringify(report.method.seed)}. The whole run took ${report.durationSeconds} s.`,
    '',
    '## Ratios (median of the per-round ratios)',
    '',
    '| ratio | target | median | per round | met |',
    '| --- | --- | ---: | --- | --- |',
    ...report.ratios.map(
      (r) => `| ${r.name} | ${r.target} | ${r.median === null ? 'n/a' : fixed(r.median, 2)} | ${r.perRound.map((v) => fixed(v, 2)).join(', ')} | ${r.met ? 'yes' : '**no**'} |`,
    ),
    '',
    '## Every run (median over its rounds)',
    '',
    '| scenario | variant | conn. | rounds | req/s | p50 ms | p95 ms | p99 ms | errors | SQL/req | Redis cmd/req |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (m) =>
        `| ${m.scenario} | ${m.label} | ${m.connections} | ${m.round} | ${fixed(m.rps)} | ${fixed(m.p50)} | ${fixed(m.p95)} | ${fixed(m.p99)} | ${m.errors} | ${fixed(m.sqlPerRequest, 2)} | ${fixed(m.redisPerRequest, 2)} |`,
    ),
  ];
  const failed = report.measurements.filter((m) => m.firstError);
  if (failed.length > 0) {
    lines.push('', '## First error of each run that had errors', '', ...failed.map((m) => `- ${m.scenario} / ${m.label} / round ${m.round}: \`${m.firstError!.replace(/`/g, "'")}\``));
  }
  if (Object.keys(report.excluded).length > 0) {
    lines.push('', '## Excluded (answer not byte-identical to the gateway)', '', ...Object.entries(report.excluded).map(([key, why]) => `- ${key}: ${why}`));
  }
  return `${lines.join('\n')}\n`;
}

const COLORS: Record<string, string> = {
  gateway: '#1f77b4',
  'gateway-warm': '#2ca02c',
  'gateway-naive': '#d62728',
  raw: '#7f7f7f',
  yoga: '#9467bd',
  'join-monster': '#ff7f0e',
};

/** Two panels of grouped bars (log scale for req/s, linear for p95), 20-connection runs only. */
function svg(report: BenchReport): string {
  const rows = summarize(report.measurements).filter((m) => m.connections === Math.max(...report.measurements.map((x) => x.connections)));
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

/** `tsx bench/report.ts <name>`: rewrites bench/results/<name>.{md,svg} from its .json (after a change to this file). */
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const name = process.argv[2] ?? 'latest';
  const folder = path.join(path.dirname(new URL(import.meta.url).pathname), 'results');
  const report = JSON.parse(readFileSync(path.join(folder, `${name}.json`), 'utf8')) as BenchReport;
  process.stdout.write(`${writeReport(report, folder, name).join('\n')}\n`);
}
