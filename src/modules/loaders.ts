/**
 * All loaders of one request. Created per request (never shared), so a row
 * cached by one caller's loader can never leak into another caller's answer.
 */
import type { Db } from '../db/client.js';
import { createClinicianLoaders } from './clinician/loaders.js';
import { createEventLoaders } from './event/loaders.js';
import { createPatientLoaders } from './patient/loaders.js';
import { createRecordLoaders } from './record/loaders.js';
import { createScheduleLoaders } from './schedule/loaders.js';
import { createSelectionLoaders } from './selection/loaders.js';

export function createLoaders(db: Db, chunkSize: number) {
  return {
    patient: createPatientLoaders(db, chunkSize),
    record: createRecordLoaders(db, chunkSize),
    clinician: createClinicianLoaders(db, chunkSize),
    event: createEventLoaders(db, chunkSize),
    schedule: createScheduleLoaders(db, chunkSize),
    selection: createSelectionLoaders(db, chunkSize),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
