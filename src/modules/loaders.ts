/**
 * All loaders of one request. Created per request (never shared), so a row
 * held by one caller's loader can never leak into another caller's answer;
 * what is shared between requests is the fragment cache below them, which
 * holds rows only, never caller-dependent results.
 */
import type { LoaderContext } from './batching.js';
import { createClinicianLoaders } from './clinician/loaders.js';
import { createEventLoaders } from './event/loaders.js';
import { createPatientLoaders } from './patient/loaders.js';
import { createRecordLoaders } from './record/loaders.js';
import { createScheduleLoaders } from './schedule/loaders.js';
import { createSelectionLoaders } from './selection/loaders.js';

export function createLoaders(context: LoaderContext) {
  return {
    patient: createPatientLoaders(context),
    record: createRecordLoaders(context),
    clinician: createClinicianLoaders(context),
    event: createEventLoaders(context),
    schedule: createScheduleLoaders(context),
    selection: createSelectionLoaders(context),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
