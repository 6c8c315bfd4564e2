/**
 * The cache when Redis fails, as the contract's Services section states it:
 * when no Redis is reachable at start the gateway runs on its in-process
 * cache; when Redis goes away later it keeps answering from MySQL, and no
 * answer is ever stale (a read that starts after a mutation returned sees it).
 *
 * Every fault is made on a private redis-server (a child process on a spare
 * port, never the shared one on 6379): SIGKILL (dead), SIGSTOP (hung: its
 * data survives), a restart on the same port (empty), and a TCP proxy that
 * holds Redis' replies (a slow network) for the two-instance case.
 *
 * Last, no Redis at start and REDIS_URL=off: the in-process tier alone keeps
 * the same promises (a repeated read runs no SQL, a read after a mutation is
 * fresh).
 *
 * No assertion is about time, and nothing waits for a time: loads run until
 * what they are for has happened (so many reads, the breaker through its
 * cycle), waits poll for their condition under a deadline, and the
 * assertions are about errors, data and counters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, insertPatients, manyPatients, PrivateRedis, rowIdOf, startTcpProxy, type TcpProxy, waitFor } from './support/index.js';
import { toGlobalId } from '../src/relay/global-id.js';
import { createTestGateway, type RunResult, type TestGateway } from '../src/testing/index.js';


const READ_PATIENT = 'query ReadPatient($id: ID!) { patient(id: $id) { id name version } }';
const READ_PAGE = 'query ReadPage($first: Int) { patients(first: $first) { nodes { id name version } } }';
const UPDATE_PATIENT = `mutation UpdatePatient($input: UpdatePatientInput!) {
  updatePatient(input: $input) { id name version }
}`;

/** Settings of the fault tests: Redis commands give up fast, the breaker probes again soon. */
const FAULT_ENV = { REDIS_COMMAND_TIMEOUT_MS: '100', REDIS_BREAKER_COOLDOWN_MS: '200' };

/** Closes the gateway, then the private Redis (resumed first if a test left it stopped). */
async function closeBoth(gw: TestGateway | undefined, redis: PrivateRedis | undefined): Promise<void> {
  redis?.resume();
  try {
    await gw?.close();
  } finally {
    await redis?.dispose();
  }
}

async function counter(gw: TestGateway, name: string): Promise<number> {
  const metric = gw.gateway.metrics.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values.reduce((sum, { value }) => sum + value, 0);
}
const redisErrors = (gw: TestGateway) => counter(gw, 'gateway_redis_errors_total');
const breakerRefusals = (gw: TestGateway) => counter(gw, 'gateway_redis_breaker_refusals_total');

/**
 * Resolves once the breaker has opened (it refused a command) and then `failures` more Redis commands failed:
 * the half-open probes it lets through after each cooldown (a hung Redis may also time out commands sent just
 * before it opened). A load that lasts until then has run through the breaker's cycle under the fault, which is
 * what it is for, whatever the machine's speed.
 */
async function breakerCycled(gw: TestGateway, failures = 2): Promise<void> {
  const refusedBefore = await breakerRefusals(gw);
  await waitFor(async () => (await breakerRefusals(gw)) > refusedBefore, { what: 'the Redis breaker to open and refuse a command', timeoutMs: 10_000 });
  const errorsWhenOpen = await redisErrors(gw);
  await waitFor(async () => (await redisErrors(gw)) >= errorsWhenOpen + failures, {
    what: `${failures} more failed Redis commands (probes) once the breaker was open`,
    timeoutMs: 10_000,
  });
}

interface PatientState {
  readonly name: string;
  readonly version: number;
}

/**
 * What each patient is, over a logical clock: a state becomes visible when
 * the mutation writing it is sent and stops being current when the next one
 * has returned. A read that ran from tick `start` to tick `end` is correct if
 * it returns a state current at some tick in between: before a mutation
 * returned both values are allowed, after it only the new one.
 */
class Truth {
  private clock = 0;
  private readonly history = new Map<string, { name: string; version: number; from: number; until: number }[]>();

  tick(): number {
    this.clock += 1;
    return this.clock;
  }

  know(id: string, state: PatientState): void {
    this.history.set(id, [{ ...state, from: 0, until: Number.POSITIVE_INFINITY }]);
  }

  latest(id: string): PatientState {
    const states = this.history.get(id);
    if (!states) throw new Error(`unknown patient ${id}`);
    return states[states.length - 1]!;
  }

  begin(id: string, state: PatientState): void {
    this.history.get(id)!.push({ ...state, from: this.tick(), until: Number.POSITIVE_INFINITY });
  }

  commit(id: string): void {
    const states = this.history.get(id)!;
    states[states.length - 2]!.until = this.tick();
  }

  /** Null when `seen` is a state of `id` current between `start` and `end`, else what is wrong. */
  judge(id: string, seen: PatientState, start: number, end: number): string | null {
    const states = this.history.get(id);
    if (!states) return `unknown patient ${id}`;
    const ok = states.some(
      (state) => state.from <= end && state.until >= start && state.name === seen.name && state.version === seen.version,
    );
    return ok
      ? null
      : `patient ${id} read as "${seen.name}" v${seen.version} (ticks ${start}-${end}); known: ${JSON.stringify(states)}`;
  }
}

type PatientNode = PatientState & { readonly id: string };


/** A fixture set and its truth, on one gateway. */
class Workload {
  readonly truth = new Truth();
  readonly failures: string[] = [];
  /** The logical tick at which each read started. */
  readonly readStarts: number[] = [];
  private renames = 0;

  constructor(
    readonly gw: TestGateway,
    readonly ids: readonly string[],
  ) {}

  static async create(gw: TestGateway, label: string, count = 8): Promise<Workload> {
    const rows = await insertPatients(gw.database.pool, manyPatients(count, label));
    const workload = new Workload(
      gw,
      rows.map((row) => toGlobalId('Patient', row)),
    );
    // Cold read: what MySQL holds (the cache is empty, the fixtures bypassed it).
    const page = await gw.run<{ patients: { nodes: PatientNode[] } }>(READ_PAGE, { first: count });
    expect(page.errors).toBeUndefined();
    for (const node of page.data!.patients.nodes) workload.truth.know(node.id, { name: node.name, version: node.version });
    expect(page.data!.patients.nodes).toHaveLength(count);
    return workload;
  }

  /** Reads one patient and checks the answer against the truth; failures are collected, not thrown. */
  async readPatient(id: string): Promise<RunResult<{ patient: PatientNode | null }> | null> {
    const start = this.truth.tick();
    this.readStarts.push(start);
    let result: RunResult<{ patient: PatientNode | null }>;
    try {
      result = await this.gw.run<{ patient: PatientNode | null }>(READ_PATIENT, { id });
    } catch (error) {
      this.failures.push(`patient(${id}) threw ${(error as Error).message}`);
      return null;
    }
    const end = this.truth.tick();
    if (result.errors) this.failures.push(`patient(${id}) errors ${JSON.stringify(result.errors)}`);
    else if (!result.data?.patient) this.failures.push(`patient(${id}) is ${JSON.stringify(result.data)}`);
    else {
      const wrong = this.truth.judge(id, result.data.patient, start, end);
      if (wrong) this.failures.push(wrong);
    }
    return result;
  }

  /** Reads the page holding every fixture and checks each row. */
  async readPage(): Promise<RunResult<{ patients: { nodes: PatientNode[] } }> | null> {
    const start = this.truth.tick();
    this.readStarts.push(start);
    let result: RunResult<{ patients: { nodes: PatientNode[] } }>;
    try {
      result = await this.gw.run<{ patients: { nodes: PatientNode[] } }>(READ_PAGE, { first: this.ids.length });
    } catch (error) {
      this.failures.push(`patients threw ${(error as Error).message}`);
      return null;
    }
    const end = this.truth.tick();
    if (result.errors) this.failures.push(`patients errors ${JSON.stringify(result.errors)}`);
    else {
      const nodes = result.data?.patients.nodes ?? [];
      if (nodes.length !== this.ids.length) this.failures.push(`patients returned ${nodes.length} rows`);
      for (const node of nodes) {
        const wrong = this.truth.judge(node.id, node, start, end);
        if (wrong) this.failures.push(`in patients: ${wrong}`);
      }
    }
    return result;
  }

  /** Renames a patient through the API (so invalidation runs); the mutation must succeed. */
  async rename(id: string, gw: TestGateway = this.gw): Promise<string> {
    this.renames += 1;
    const before = this.truth.latest(id);
    const next = { name: `${before.name.replace(/ \(renamed \d+\)$/, '')} (renamed ${this.renames})`, version: before.version + 1 };
    this.truth.begin(id, next);
    const result = await gw.run(UPDATE_PATIENT, { input: { id, expectedVersion: before.version, name: next.name } });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ updatePatient: { id, ...next } });
    this.truth.commit(id);
    return next.name;
  }

  /** Reads `id` until one read runs no SQL (the cache answers again); every read is checked. Returns how many reads it took. */
  async untilCached(id: string, timeoutMs = 10_000): Promise<number> {
    let reads = 0;
    await waitFor(
      async () => {
        reads += 1;
        const result = await this.readPatient(id);
        return result !== null && !result.errors && result.sqlCount === 0;
      },
      { what: `a read of ${id} to be answered from the cache`, timeoutMs, intervalMs: 25 },
    );
    return reads;
  }

  /**
   * Runs `fault` while four workers read, until the fault is done and at least `minAfter` reads followed it;
   * returns what the fault returned and how many reads ran. The fault paces itself on the load:
   * `afterReads(n)` resolves once n more reads have completed (no fixed sleeps: on a loaded machine a read may
   * take much longer than usual), and it keeps the load going until its condition holds by awaiting that last.
   */
  async underLoad<T>(fault: (load: { afterReads(count: number): Promise<void> }) => Promise<T>, { minAfter }: { minAfter: number }) {
    let faultDone = false;
    let reads = 0;
    let readsAfter = 0;
    const afterReads = async (count: number) => {
      const target = reads + count;
      await waitFor(() => reads >= target, { what: `${count} more reads under load`, timeoutMs: 10_000, intervalMs: 5 });
    };
    const worker = async (worker: number) => {
      for (let round = 0; !(faultDone && readsAfter >= minAfter); round += 1) {
        const late = faultDone;
        if ((round + worker) % 3 === 0) await this.readPage();
        else await this.readPatient(this.ids[(round * 7 + worker) % this.ids.length]!);
        reads += 1;
        if (late) readsAfter += 1;
      }
    };
    const faulting = (async () => {
      try {
        return await fault({ afterReads });
      } finally {
        faultDone = true;
      }
    })();
    const [outcome] = await Promise.allSettled([faulting, ...[0, 1, 2, 3].map(worker)]);
    if (outcome.status === 'rejected') throw outcome.reason;
    return { result: outcome.value as T, reads, readsAfter };
  }
}

describe('Redis killed, then restarted on the same port', () => {
  let redis: PrivateRedis | undefined;
  let gw: TestGateway | undefined;
  let work: Workload;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    gw = await createTestGateway({ name: 'cache_faults_kill', cache: true, env: { REDIS_URL: redis.url, ...FAULT_ENV } });
    work = await Workload.create(gw, 'Killed');
  });

  afterAll(() => closeBoth(gw, redis));

  it('killed mid-load: no request fails, every answer is correct, a mutation while it is dead is seen at once', { timeout: 30_000 }, async () => {
    expect(gw!.gateway.cache.mode).toBe('redis');
    // Warm: repeated reads are answered by the cache.
    for (const id of work.ids) await work.untilCached(id);
    const warmPage = await work.readPage();
    expect(warmPage?.sqlCount).toBe(0);
    const errorsBefore = await redisErrors(gw!);

    const target = work.ids[0]!;
    const { result: renamed, reads, readsAfter } = await work.underLoad(
      async (load) => {
        await load.afterReads(40);
        await redis!.kill();
        await load.afterReads(20);
        const renamed = await work.rename(target);
        // Reads go on against the dead Redis while the breaker refuses commands and its probes fail.
        await breakerCycled(gw!);
        return renamed;
      },
      { minAfter: 40 },
    );

    expect(work.failures).toEqual([]);
    expect(readsAfter).toBeGreaterThanOrEqual(40);
    expect(reads).toBeGreaterThan(readsAfter);
    // The fault reached the gateway (Redis commands failed) and was absorbed.
    expect(await redisErrors(gw!)).toBeGreaterThan(errorsBefore);
    const after = await work.readPatient(target);
    expect(after?.data?.patient?.name).toBe(renamed);
    await work.readPage();
    expect(work.failures).toEqual([]);
  });

  it('restarted empty: the cache is used again and never answers with the value from before the outage', { timeout: 30_000 }, async () => {
    const target = work.ids[0]!;
    const renamedDuringOutage = work.truth.latest(target).name;
    expect(renamedDuringOutage).toMatch(/renamed/);

    await redis!.start();
    // Bounded: the gateway reconnects in the background (at most every 2 s).
    await work.untilCached(target, 20_000);
    expect(work.failures).toEqual([]);
    const cached = await work.readPatient(target);
    expect(cached?.sqlCount).toBe(0);
    expect(cached?.data?.patient?.name).toBe(renamedDuringOutage);
    // Through Redis, not only the in-process tier: the entries are in the restarted server,
    // under a new epoch (the invalidation that could not be delivered bumped it).
    expect(await redis!.keys(`${gw!.name}:c:*:v:*`)).not.toEqual([]);
    expect(Number(await redis!.cli('GET', `${gw!.name}:c:epoch`))).toBeGreaterThanOrEqual(1);

    for (const id of work.ids) await work.readPatient(id);
    await work.readPage();
    expect(work.failures).toEqual([]);

    // Invalidation through the restarted Redis works: a mutation, then a fresh read, then a cached one.
    const renamedAgain = await work.rename(target);
    const fresh = await work.readPatient(target);
    expect(fresh?.data?.patient?.name).toBe(renamedAgain);
    await work.untilCached(target);
    await work.readPage();
    expect(work.failures).toEqual([]);
  });

  it('hung (SIGSTOP): reads still succeed from MySQL, the breaker spares most requests a Redis command, recovery after SIGCONT', { timeout: 30_000 }, async () => {
    for (const id of work.ids) await work.untilCached(id);
    const target = work.ids[1]!;
    let errorsAtPause = 0;
    let pausedAt = Number.POSITIVE_INFINITY;
    try {
      const { result: renamed } = await work.underLoad(
        async (load) => {
          await load.afterReads(20);
          errorsAtPause = await redisErrors(gw!);
          redis!.pause();
          pausedAt = work.truth.tick();
          await load.afterReads(10);
          const name = await work.rename(target);
          await load.afterReads(40);
          // Reads go on against the hung Redis while the breaker refuses commands and its probes time out.
          await breakerCycled(gw!);
          return name;
        },
        { minAfter: 200 },
      );
      // Still hung here: every read above that started after the pause was answered without Redis.
      const errorsWhileHung = (await redisErrors(gw!)) - errorsAtPause;
      const readsWhileHung = work.readStarts.filter((tick) => tick > pausedAt).length;
      expect(work.failures).toEqual([]);
      expect(errorsWhileHung).toBeGreaterThan(0);
      expect(readsWhileHung).toBeGreaterThanOrEqual(100);
      // Each request makes at least one Redis command when it may; with the breaker open most may not.
      expect(errorsWhileHung * 5).toBeLessThan(readsWhileHung);
      const during = await work.readPatient(target);
      expect(during?.data?.patient?.name).toBe(renamed);
      expect(during?.sqlCount).toBeGreaterThan(0);
    } finally {
      redis!.resume();
    }
    await work.untilCached(target, 20_000);
    for (const id of work.ids) await work.readPatient(id);
    await work.readPage();
    expect(work.failures).toEqual([]);
  });
});

describe('Redis hung while a mutation runs: its invalidation never reaches Redis', () => {
  let redis: PrivateRedis | undefined;
  let gw: TestGateway | undefined;
  let work: Workload;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    // A long cooldown, so that the mutation below is refused by the open breaker for sure
    // (a command sent to a stopped Redis would still run at SIGCONT, and prove nothing).
    gw = await createTestGateway({
      name: 'cache_faults_hung',
      cache: true,
      env: { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '100', REDIS_BREAKER_COOLDOWN_MS: '1500' },
    });
    work = await Workload.create(gw, 'Hung');
  });

  afterAll(() => closeBoth(gw, redis));

  it('after SIGCONT the entries cached before are still in Redis, yet every read returns the new name (epoch bump)', { timeout: 30_000 }, async () => {
    const [target, other] = work.ids as [string, string];
    await work.untilCached(target);
    await work.untilCached(other);
    expect((await work.readPage())?.sqlCount).toBe(0);
    const before = work.truth.latest(target).name;
    const cachedKeys = await redis!.keys(`${gw!.name}:c:0:v:*`);
    expect(cachedKeys).toContain(`${gw!.name}:c:0:v:Patient:${rowIdOf(target)}`);

    redis!.pause();
    // Three reads time out, the breaker opens (REDIS_BREAKER_FAILURES 3); each read is still answered.
    const errorsAtPause = await redisErrors(gw!);
    for (let read = 0; read < 3; read += 1) await work.readPatient(other);
    expect(await redisErrors(gw!)).toBeGreaterThanOrEqual(errorsAtPause + 3);
    const renamed = await work.rename(target);
    redis!.resume();

    // The invalidation never arrived: the stale entries are all still there.
    expect(await redis!.cli('EXISTS', ...cachedKeys)).toBe(String(cachedKeys.length));
    expect(work.failures).toEqual([]);

    // Reads from now on: from MySQL while the breaker is open, then from the cache again. Never stale.
    const reads = await work.untilCached(target, 20_000);
    expect(reads).toBeGreaterThan(0);
    const cached = await work.readPatient(target);
    expect(cached?.sqlCount).toBe(0);
    expect(cached?.data?.patient?.name).toBe(renamed);
    expect(cached?.data?.patient?.name).not.toBe(before);
    for (const id of work.ids) await work.readPatient(id);
    await work.readPage();
    await work.readPage();
    expect(work.failures).toEqual([]);
    expect(Number(await redis!.cli('GET', `${gw!.name}:c:epoch`))).toBeGreaterThanOrEqual(1);
  });
});


/**
 * The epoch bump must cover every invalidation that could not be delivered,
 * including one refused while the bump itself is in flight (the breaker's
 * half-open probe). Otherwise another instance may fill the new epoch with
 * what it read before that mutation, and nothing ever removes it.
 */
describe('two instances: an invalidation refused while the breaker probes Redis', () => {
  let redis: PrivateRedis | undefined;
  let proxy: TcpProxy | undefined;
  let a: TestGateway | undefined;
  let b: TestGateway | undefined;
  let work: Workload;
  /** Pauses instance B after its MySQL read of one fragment, before the write-back. */
  let trap: { key: string; reached: () => void; gate: Promise<void> } | null = null;
  let openTrap = () => {};

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    proxy = await startTcpProxy({ targetPort: redis.port });
    // A reaches Redis through the proxy; its commands wait long enough for a held reply.
    a = await createTestGateway({
      name: 'cache_faults_probe',
      cache: true,
      env: {
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        REDIS_COMMAND_TIMEOUT_MS: '1500',
        REDIS_BREAKER_FAILURES: '1',
        // Also the period of A's background bump retry: it must not bump (through the released proxy) between
        // steps 1 and 2, or step 2 waits for a bump that already happened. At 100 ms it did under a loaded
        // full suite; steps 1 to 2 take a few ms.
        REDIS_BREAKER_COOLDOWN_MS: '1000',
        // This test choreographs A's Redis commands one by one: no rate-budget draws in between.
        RATE_LIMIT_COST_PER_MINUTE: '0',
      },
    });
    b = await createTestGateway({
      shareWith: a,
      cache: true,
      env: { REDIS_URL: redis.url },
      cacheHooks: {
        async afterLoad(names) {
          if (trap && names.includes(trap.key)) {
            const armed = trap;
            trap = null;
            armed.reached();
            await armed.gate;
          }
        },
      },
    });
    work = await Workload.create(a, 'Probe', 4);
  });

  afterAll(async () => {
    openTrap();
    proxy?.release();
    try {
      await b?.close();
      await a?.close();
    } finally {
      await proxy?.stop();
      await redis?.dispose();
    }
  });

  it('a mutation on A whose invalidation the breaker refused while A’s epoch bump was in flight is seen by later reads on A and B', { timeout: 30_000 }, async () => {
    const [target, first, probeTarget] = work.ids as [string, string, string];
    const epoch = async () => (await redis!.cli('GET', `${a!.name}:c:epoch`)) || '0';

    // 1. An invalidation on A that times out (reply held): A must bump the epoch before using Redis again.
    const errorsAtStart = await redisErrors(a!);
    proxy!.hold();
    await work.rename(first);
    proxy!.release();
    expect(await redisErrors(a!)).toBe(errorsAtStart + 1);

    // 2. With replies held again, a read on A probes Redis: it runs the bump script, whose reply waits.
    const epochBefore = await epoch();
    const errorsBeforeProbe = await redisErrors(a!);
    proxy!.hold();
    let probe: Promise<unknown> | undefined;
    let probeSettled = false;
    await waitFor(
      async () => {
        if (!probe) {
          probeSettled = false;
          probe = work.readPatient(probeTarget).finally(() => (probeSettled = true));
        }
        if ((await epoch()) !== epochBefore) return true;
        // Refused by the breaker still cooling down: answered from MySQL; try again.
        if (probeSettled) probe = undefined;
        return false;
      },
      { what: 'a read on A to probe Redis and bump the epoch', intervalMs: 25 },
    );

    // 3. Meanwhile B reads the patient from MySQL (new epoch: a miss) and is paused before its write-back.
    let reached!: () => void;
    const atTrap = new Promise<void>((resolve) => (reached = resolve));
    trap = { key: `Patient:${rowIdOf(target)}`, reached, gate: new Promise<void>((resolve) => (openTrap = resolve)) };
    const readOnB = b!.run<{ patient: PatientNode }>(READ_PATIENT, { id: target });
    await atTrap;

    // 4. A renames the patient; its invalidation is refused (the breaker is probing). The mutation succeeds.
    const renamed = await work.rename(target);

    // 5. B writes back what it read before the rename; then A's bump reply arrives.
    openTrap();
    const onB = await readOnB;
    expect(onB.errors).toBeUndefined();
    proxy!.release();
    await probe;
    // Precondition: the probe succeeded (no Redis command of A failed meanwhile).
    expect(await redisErrors(a!)).toBe(errorsBeforeProbe);

    // 6. Every read that starts now must see the rename, on A and on B.
    const onA = await work.readPatient(target);
    const onBAfter = await b!.run<{ patient: PatientNode }>(READ_PATIENT, { id: target });
    expect(onA?.data?.patient?.name).toBe(renamed);
    expect(onBAfter.data?.patient?.name).toBe(renamed);
    expect(work.failures).toEqual([]);
  });
});

describe.each([
  {
    label: 'no Redis answers at start',
    env: async (): Promise<Record<string, string>> => ({
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      REDIS_CONNECT_TIMEOUT_MS: '200',
    }),
  },
  { label: 'REDIS_URL=off', env: async (): Promise<Record<string, string>> => ({ REDIS_URL: 'off' }) },
])('$label: the in-process cache', ({ label, env }) => {
  let gw: TestGateway | undefined;
  let work: Workload;

  beforeAll(async () => {
    gw = await createTestGateway({ name: `cache_faults_${label.startsWith('no') ? 'none' : 'off'}`, cache: true, env: await env() });
    work = await Workload.create(gw, 'Local', 5);
  });

  afterAll(() => gw?.close());

  it('the gateway starts; a repeated read runs no SQL; a read after a mutation is fresh', async () => {
    expect(gw!.gateway.cache.mode).toBe('local');
    const target = work.ids[2]!;
    const cold = await work.readPatient(target);
    expect(cold?.sqlCount).toBeGreaterThan(0);
    const warm = await work.readPatient(target);
    expect(warm?.sqlCount).toBe(0);
    expect(warm?.data).toEqual(cold?.data);
    // The page was read once when the fixtures were loaded.
    expect((await work.readPage())?.sqlCount).toBe(0);

    const renamed = await work.rename(target);
    const fresh = await work.readPatient(target);
    expect(fresh?.data?.patient?.name).toBe(renamed);
    expect(fresh?.sqlCount).toBeGreaterThan(0);
    const page = await work.readPage();
    expect(page?.data?.patients.nodes.find((node) => node.id === target)?.name).toBe(renamed);
    const again = await work.readPatient(target);
    expect(again?.sqlCount).toBe(0);
    expect(again?.data?.patient?.name).toBe(renamed);
    expect(work.failures).toEqual([]);
  });
});
