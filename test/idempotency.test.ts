/**
 * Idempotency-Key on mutations, as the contract's "Mutations and versions"
 * section states it, against both key stores (Redis, and MySQL when
 * REDIS_URL=off): a retry replays the first response without running it
 * again; another body under the same key is BAD_USER_INPUT, the same one with
 * its variables' keys reordered is a replay; keys are per principal (role,
 * subject, patient); a retry during the first run is CONFLICT; errors are
 * replayed except SERVICE_UNAVAILABLE, which frees the key; queries ignore
 * the header; malformed keys are refused; the same over real HTTP. Last, a
 * Redis that dies after start: keyed mutations are refused with
 * SERVICE_UNAVAILABLE rather than run unguarded, unkeyed ones still work.
 */
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../src/relay/global-id.js';
import { createTestGateway, type RunResult, type TestGateway } from '../src/testing/index.js';
import { signToken } from '../src/auth/token.js';
import { insertClinicians, insertEvent, insertPatients, PrivateRedis, waitFor } from './support/index.js';

const CREATE_PATIENT = `mutation CreatePatient($input: CreatePatientInput!) {
  createPatient(input: $input) { id name birthDate version }
}`;
const UPDATE_PATIENT = `mutation UpdatePatient($input: UpdatePatientInput!) {
  updatePatient(input: $input) { id name version }
}`;
const READ_PATIENT = 'query ReadPatient($id: ID!) { patient(id: $id) { name version } }';
const SET_SELECTIONS = `mutation SetSelections($input: SetSelectionsInput!) {
  setSelections(input: $input) { id patient { name email birthDate } schedule { id } }
}`;

const keyed = (key: string) => ({ 'Idempotency-Key': key });
const newPatient = (name: string) => ({ input: { name, birthDate: '1985-03-14' } });
const responseBody = (result: RunResult) => ({ data: result.data, errors: result.errors });
const errorCodes = (result: RunResult) => (result.errors ?? []).map((error) => error.extensions?.code);

async function countPatientsNamed(gw: TestGateway, name: string): Promise<number> {
  const [rows] = await gw.database.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS total FROM patients WHERE name = ?', [
    name,
  ]);
  return Number(rows[0]?.total);
}

/** Sets innodb_lock_wait_timeout on every connection of the gateway's pool (all are taken, so all exist). */
async function setPoolLockWaitTimeout(gw: TestGateway, value: '1' | 'DEFAULT'): Promise<void> {
  const connections = await Promise.all(
    Array.from({ length: gw.config.dbPoolSize }, () => gw.database.pool.getConnection()),
  );
  try {
    await Promise.all(connections.map((connection) => connection.query(`SET SESSION innodb_lock_wait_timeout = ${value}`)));
  } finally {
    for (const connection of connections) connection.release();
  }
}

const STORES = [
  // Redis answers a replay on its own: no SQL at all.
  { store: 'Redis', env: {}, replaySql: 0 },
  // The MySQL store tries to claim the key (INSERT IGNORE: 0 rows), to take it over if expired
  // (UPDATE … WHERE expires_at < now: 0 rows), then reads the stored response (SELECT): 3 statements.
  { store: 'MySQL', env: { REDIS_URL: 'off' }, replaySql: 3 },
] as const;

describe.each(STORES)('Idempotency-Key with the $store key store', ({ store, env, replaySql }) => {
  let gw: TestGateway;
  const rawConnections: mysql.Connection[] = [];
  let clinicians: number[];

  beforeAll(async () => {
    gw = await createTestGateway({
      // Fault and lock choreography: no side executions comparing the engines (test/executors.test.ts covers them).
      compareExecutors: false, name: `idempotency_${store}`, env });
    clinicians = await insertClinicians(gw.database.pool, ['Dr. Key One', 'Dr. Key Two']);
  });

  afterAll(async () => {
    await Promise.all(rawConnections.map((connection) => connection.end().catch(() => connection.destroy())));
    await gw?.close();
  });

  /** A connection of its own on the test database that holds a row lock on a patient until `release`. */
  async function lockPatientRow(patientRowId: number): Promise<{ release(): Promise<void> }> {
    const holder = await mysql.createConnection({ uri: gw.databaseUrl });
    rawConnections.push(holder);
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM patients WHERE id = ? FOR UPDATE', [patientRowId]);
    return { release: async () => void (await holder.query('ROLLBACK')) };
  }

  /** Resolves once some connection is running an UPDATE of the patients table (waiting for the lock). */
  async function updateIsWaiting(): Promise<void> {
    const observer = await gw.database.pool.getConnection();
    try {
      await waitFor(
        async () => {
          const [rows] = await observer.query<RowDataPacket[]>(
            "SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE 'update `patients`%'",
          );
          return rows.length > 0;
        },
        { what: 'the UPDATE of patients to wait for its lock' },
      );
    } finally {
      observer.release();
    }
  }

  it(`a retry with the same key and body replays the first response, creates no second row and runs ${replaySql} SQL statements`, async () => {
    const first = await gw.run(CREATE_PATIENT, newPatient('Retried Rita'), { headers: keyed('create-rita') });
    expect(first.errors).toBeUndefined();
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    const retry = await gw.run(CREATE_PATIENT, newPatient('Retried Rita'), {
      headers: keyed('create-rita'),
      captureStatements: true,
    });

    expect(responseBody(retry)).toEqual(responseBody(first));
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.sqlCount).toBe(replaySql);
    for (const statement of retry.statements) expect(statement.sql).toMatch(/`idempotency_keys`/);
    expect(await countPatientsNamed(gw, 'Retried Rita')).toBe(1);
  });

  it('the same key with another body is BAD_USER_INPUT naming the key, and writes nothing', async () => {
    const first = await gw.run(CREATE_PATIENT, newPatient('Payload One'), { headers: keyed('reused-key') });
    expect(first.errors).toBeUndefined();

    const other = await gw.run(CREATE_PATIENT, newPatient('Payload Two'), { headers: keyed('reused-key') });

    expect(other.data).toBeUndefined();
    expect(errorCodes(other)).toEqual(['BAD_USER_INPUT']);
    expect(other.errors![0]!.message).toContain('"reused-key"');
    expect(other.errors![0]!.extensions).toMatchObject({ idempotencyKey: 'reused-key' });
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(await countPatientsNamed(gw, 'Payload Two')).toBe(0);
    expect(await countPatientsNamed(gw, 'Payload One')).toBe(1);
  });

  it('the same key from another token subject is independent: it runs again and creates a second row', async () => {
    const fromFirstClinician = await gw.run(CREATE_PATIENT, newPatient('Shared Key Sue'), {
      as: { clinicianId: clinicians[0]! },
      headers: keyed('shared-key'),
    });
    const fromSecondClinician = await gw.run(CREATE_PATIENT, newPatient('Shared Key Sue'), {
      as: { clinicianId: clinicians[1]! },
      headers: keyed('shared-key'),
    });

    expect(fromFirstClinician.errors).toBeUndefined();
    expect(fromSecondClinician.errors).toBeUndefined();
    expect(fromSecondClinician.headers['idempotent-replayed']).toBeUndefined();
    expect(fromSecondClinician.data!.createPatient.id).not.toBe(fromFirstClinician.data!.createPatient.id);
    expect(await countPatientsNamed(gw, 'Shared Key Sue')).toBe(2);
  });

  it('two patient tokens that share a sub are two principals: the second never gets the first one\'s stored response', async () => {
    const [ada, bob] = (await insertPatients(gw.database.pool, [
      { name: 'Ada Shared-Sub', email: 'ada.shared@example.org' },
      { name: 'Bob Shared-Sub' },
    ])) as [number, number];
    const { eventId, scheduleIds } = await insertEvent(gw.database.pool, { title: 'Shared sub clinic', days: 1, slotsPerDay: 2 });
    const tokenFor = async (patientId: number) =>
      `Bearer ${await signToken({ role: 'patient', sub: 'shared-sub', patientId: toGlobalId('Patient', patientId) }, gw.config.jwtSecret, 600)}`;
    const body = {
      input: { eventId: toGlobalId('Event', eventId), patientId: toGlobalId('Patient', ada), scheduleIds: [toGlobalId('Schedule', scheduleIds[0]!)] },
    };
    const first = await gw.run(SET_SELECTIONS, body, { as: { authorization: await tokenFor(ada) }, headers: keyed('shared-sub-key') });
    expect(first.errors).toBeUndefined();
    expect(JSON.stringify(first.data)).toContain('ada.shared@example.org');

    // The same body and key from Bob's token (same sub, another patient): not a replay of Ada's answer, but
    // Bob's own request, which may not touch Ada's selections.
    const second = await gw.run(SET_SELECTIONS, body, { as: { authorization: await tokenFor(bob) }, headers: keyed('shared-sub-key') });
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(errorCodes(second)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(second)).not.toContain('Ada Shared-Sub');
    expect(JSON.stringify(second)).not.toContain('ada.shared@example.org');
  });

  it('a retry whose variables list the same keys in another order is the same request: replayed', async () => {
    const variables = { input: { name: 'Ordered Olga', birthDate: '1980-01-02', isActive: true } };
    const reordered = { input: { isActive: true, birthDate: '1980-01-02', name: 'Ordered Olga' } };
    const first = await gw.run(CREATE_PATIENT, variables, { headers: keyed('ordered-key') });
    expect(first.errors).toBeUndefined();
    const retry = await gw.run(CREATE_PATIENT, reordered, { headers: keyed('ordered-key') });
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(responseBody(retry)).toEqual(responseBody(first));
    expect(await countPatientsNamed(gw, 'Ordered Olga')).toBe(1);
  });

  it('a retry while the first request is still running is CONFLICT; the first then completes and is replayed', async () => {
    const [patientRowId] = (await insertPatients(gw.database.pool, [{ name: 'Slow Sid' }])) as [number];
    const variables = { input: { id: toGlobalId('Patient', patientRowId), expectedVersion: 1, name: 'Slow Sid Updated' } };
    const lock = await lockPatientRow(patientRowId);
    let firstRun: Promise<RunResult> | undefined;
    let duringFirst: RunResult;
    try {
      firstRun = gw.run(UPDATE_PATIENT, variables, { headers: keyed('slow-update') });
      await updateIsWaiting();
      duringFirst = await gw.run(UPDATE_PATIENT, variables, { headers: keyed('slow-update') });
    } finally {
      await lock.release();
    }
    const first = await firstRun;

    expect(errorCodes(duringFirst)).toEqual(['CONFLICT']);
    expect(duringFirst.errors![0]!.extensions).toMatchObject({ idempotencyKey: 'slow-update' });
    expect(first.errors).toBeUndefined();
    expect(first.data).toEqual({ updatePatient: { id: variables.input.id, name: 'Slow Sid Updated', version: 2 } });

    const afterFirst = await gw.run(UPDATE_PATIENT, variables, { headers: keyed('slow-update') });
    expect(afterFirst.headers['idempotent-replayed']).toBe('true');
    expect(responseBody(afterFirst)).toEqual(responseBody(first));
  });

  it('a first attempt that failed validation is replayed as the same error, and nothing is written', async () => {
    const variables = { input: { name: 'Future Fay', birthDate: '2999-01-01' } };
    const first = await gw.run(CREATE_PATIENT, variables, { headers: keyed('invalid-birth-date') });
    expect(errorCodes(first)).toEqual(['BAD_USER_INPUT']);

    const retry = await gw.run(CREATE_PATIENT, variables, { headers: keyed('invalid-birth-date') });

    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(responseBody(retry)).toEqual(responseBody(first));
    expect(retry.sqlCount).toBe(replaySql);
    expect(await countPatientsNamed(gw, 'Future Fay')).toBe(0);
  });

  it('a first attempt that ended in SERVICE_UNAVAILABLE frees the key: the retry runs again', async () => {
    const [patientRowId] = (await insertPatients(gw.database.pool, [{ name: 'Timed Out Tom' }])) as [number];
    const variables = { input: { id: toGlobalId('Patient', patientRowId), expectedVersion: 1, name: 'Tom Retried' } };
    const lock = await lockPatientRow(patientRowId);
    let first: RunResult;
    try {
      // Every attempt of the first request waits 1 s for the lock and fails with 1205; after 3, SERVICE_UNAVAILABLE.
      await setPoolLockWaitTimeout(gw, '1');
      first = await gw.run(UPDATE_PATIENT, variables, { headers: keyed('timed-out-update') });
    } finally {
      await setPoolLockWaitTimeout(gw, 'DEFAULT');
      await lock.release();
    }
    expect(errorCodes(first)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(first.errors![0]!.extensions).toMatchObject({ attempts: 3 });

    const retry = await gw.run(UPDATE_PATIENT, variables, { headers: keyed('timed-out-update') });

    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.errors).toBeUndefined();
    expect(retry.data).toEqual({ updatePatient: { id: variables.input.id, name: 'Tom Retried', version: 2 } });
  });

  it('queries ignore the header, even a malformed one', async () => {
    const [patientRowId] = (await insertPatients(gw.database.pool, [{ name: 'Queried Quinn' }])) as [number];
    const variables = { id: toGlobalId('Patient', patientRowId) };
    const expected = { patient: { name: 'Queried Quinn', version: 1 } };

    const first = await gw.run(READ_PATIENT, variables, { headers: keyed('query-key') });
    const second = await gw.run(READ_PATIENT, variables, { headers: keyed('query-key') });
    const malformed = await gw.run(READ_PATIENT, variables, { headers: keyed('not a valid key') });

    for (const result of [first, second, malformed]) {
      expect(result.errors).toBeUndefined();
      expect(result.data).toEqual(expected);
      expect(result.headers['idempotent-replayed']).toBeUndefined();
    }
    // The key is still free for a mutation.
    const mutation = await gw.run(CREATE_PATIENT, newPatient('After Query'), { headers: keyed('query-key') });
    expect(mutation.errors).toBeUndefined();
    expect(mutation.headers['idempotent-replayed']).toBeUndefined();
  });

  it.each([
    ['300 characters long', 'k'.repeat(300)],
    ['containing a space', 'has space'],
    ['containing a non-ASCII character', 'clé'],
  ])('a mutation with a key %s is BAD_USER_INPUT and writes nothing', async (_label, key) => {
    const name = `Bad Key ${key.length}`;
    const result = await gw.run(CREATE_PATIENT, newPatient(name), { headers: keyed(key) });

    expect(result.data).toBeUndefined();
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0]!.extensions).toMatchObject({ header: 'Idempotency-Key' });
    expect(result.sqlCount).toBe(0);
    expect(await countPatientsNamed(gw, name)).toBe(0);
  });

  describe('over real HTTP', () => {
    let url: string;
    let authorization: string;

    beforeAll(async () => {
      ({ url } = await gw.gateway.listen());
      authorization = (await gw.authorizationFor('admin')) as string;
    });

    const post = (key: string, name: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization, 'Idempotency-Key': key },
        body: JSON.stringify({ query: CREATE_PATIENT, variables: newPatient(name) }),
      });

    it('the same POST twice creates one row; the second response is the first, marked replayed', async () => {
      const first = await post('over-http', 'Http Hana');
      const firstBody = await first.text();
      const second = await post('over-http', 'Http Hana');
      const secondBody = await second.text();

      expect(first.status).toBe(200);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      expect(JSON.parse(firstBody)).toMatchObject({ data: { createPatient: { name: 'Http Hana', version: 1 } } });
      expect(second.status).toBe(200);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(JSON.parse(secondBody)).toEqual(JSON.parse(firstBody));
      expect(await countPatientsNamed(gw, 'Http Hana')).toBe(1);
    });

    it('a key reused with another body is answered 200 with BAD_USER_INPUT (the contract status), not a 500', async () => {
      await post('over-http-reused', 'Http Ivo');
      const reused = await post('over-http-reused', 'Http Jan');
      const body = (await reused.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };

      expect(body.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(body.errors?.[0]?.message).toContain('"over-http-reused"');
      expect(reused.status).toBe(200);
      expect(await countPatientsNamed(gw, 'Http Jan')).toBe(0);
    });
  });
});

describe('Idempotency-Key when Redis goes away after start', () => {
  let gw: TestGateway | undefined;
  let redis: PrivateRedis | undefined;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    gw = await createTestGateway({
      // Fault and lock choreography: no side executions comparing the engines (test/executors.test.ts covers them).
      compareExecutors: false, name: 'idempotency_redis_down', env: { REDIS_URL: redis.url } });
  });

  afterAll(async () => {
    try {
      await gw?.close();
    } finally {
      await redis?.dispose();
    }
  });

  it('a keyed mutation gets SERVICE_UNAVAILABLE and writes nothing; an unkeyed one still works', async () => {
    const gateway = gw!;
    // While Redis is up, keys work through it (a replay runs no SQL).
    const beforeOutage = await gateway.run(CREATE_PATIENT, newPatient('Before Outage'), { headers: keyed('before-outage') });
    const replayBeforeOutage = await gateway.run(CREATE_PATIENT, newPatient('Before Outage'), {
      headers: keyed('before-outage'),
    });
    expect(beforeOutage.errors).toBeUndefined();
    expect(replayBeforeOutage.headers['idempotent-replayed']).toBe('true');
    expect(replayBeforeOutage.sqlCount).toBe(0);

    await redis!.cli('shutdown', 'nosave').catch(() => undefined);
    await waitFor(async () => !(await redis!.answers()), { what: 'the spare Redis to stop' });

    const keyedDuringOutage = await gateway.run(CREATE_PATIENT, newPatient('Keyed During Outage'), {
      headers: keyed('during-outage'),
    });
    expect(keyedDuringOutage.data).toBeUndefined();
    expect(errorCodes(keyedDuringOutage)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(keyedDuringOutage.sqlCount).toBe(0);
    expect(await countPatientsNamed(gateway, 'Keyed During Outage')).toBe(0);

    const unkeyedDuringOutage = await gateway.run(CREATE_PATIENT, newPatient('Unkeyed During Outage'));
    expect(unkeyedDuringOutage.errors).toBeUndefined();
    expect(unkeyedDuringOutage.data).toMatchObject({ createPatient: { name: 'Unkeyed During Outage', version: 1 } });
    expect(await countPatientsNamed(gateway, 'Unkeyed During Outage')).toBe(1);
  });
});
