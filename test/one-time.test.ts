/**
 * The seed's OneTime case, the page that took 18 s when every participant's
 * selections loaded one row at a time: one event of 7 x 48 slots where 50
 * participants each picked 100 slots. The full event page runs in at most 4
 * statements (event, schedules, selections, patients).
 */
import { expect } from 'vitest';
import { gatewayTest } from './support/fixtures-gateway.js';
import { toGlobalId } from '../src/relay/global-id.js';
import { seedDatabase } from '../src/seed/seed.js';
import type { TestGateway } from '../src/testing/index.js';

/** This file's gateway (its own database), shared by every test and hook here. */
const test = gatewayTest('one_time');
let gw: TestGateway;

test.beforeAll(async ({ gateway }) => {
  gw = gateway;
  await seedDatabase(gw.database.pool, {
    clinicians: 3,
    patients: 50,
    recordsPerPatient: 1,
    events: 1,
    slots: 7 * 48,
    participants: 50,
    picks: 100,
    reset: false,
    seed: 1,
  });
});

test('loads the whole OneTime event page in at most 4 statements', async () => {
  const [[event]] = (await gw.database.pool.query('SELECT MIN(id) AS id FROM events')) as unknown as [[{ id: number }]];
  const result = await gw.run(
    `query ($id: ID!) { event(id: $id) { schedules { date time selections { patient { id name } } } } }`,
    { id: toGlobalId('Event', event.id) },
  );
  expect(result.errors).toBeUndefined();
  const schedules = result.data?.event.schedules as { date: string; selections: { patient: { id: string; name: string } }[] }[];
  expect(schedules).toHaveLength(336);
  expect(new Set(schedules.map((slot) => slot.date)).size).toBe(7);
  const picks = schedules.flatMap((slot) => slot.selections);
  expect(picks).toHaveLength(50 * 100);
  expect(new Set(picks.map((pick) => pick.patient.id)).size).toBe(50);
  expect(result.sqlCount).toBeLessThanOrEqual(4);
  expect(result.sqlCount).toBe(4);
});
