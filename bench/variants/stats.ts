/**
 * What every variant's `GET /bench/stats` answers (the harness' contract,
 * bench/scenarios.ts): `{ "sql": n, "gcMs": g, "cpuMs": c }` (and, from the
 * gateway, `"cacheHits"` and `"cacheMisses"`: its fragment and response cache
 * lookups since start), where n is the
 * variant's own count of SQL statements sent since start, g the total
 * duration of the garbage collections since this module loaded (perf_hooks
 * 'gc' entries) and c the process' CPU time (user + system) since start. The
 * harness reads them before and after a measured run: Δg / Δc is GC's share
 * of the CPU the run cost.
 *
 * Example:
 *   if (req.url === '/bench/stats') sendBenchStats(res, statements);
 */
import type http from 'node:http';
import { PerformanceObserver } from 'node:perf_hooks';

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

/** A cache's lookups since start: found (hits) and not found or outdated (misses). */
export interface CacheLookups {
  readonly cacheHits: number;
  readonly cacheMisses: number;
}

/** The figures of /bench/stats, with `sql` (and the cache's lookups) as the variant counts them. */
export function benchStats(sql: number, cache?: CacheLookups): { sql: number; gcMs: number; cpuMs: number } & Partial<CacheLookups> {
  const cpu = process.cpuUsage();
  return { sql, gcMs, cpuMs: (cpu.user + cpu.system) / 1000, ...cache };
}

/** Answers GET /bench/stats. */
export function sendBenchStats(res: http.ServerResponse, sql: number, cache?: CacheLookups): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(benchStats(sql, cache)));
}
