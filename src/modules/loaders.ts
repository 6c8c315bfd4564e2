/**
 * All loaders of one request. Created per request (never shared), so a row
 * held by one caller's loader can never leak into another caller's answer;
 * what is shared between requests is the fragment cache below them, which
 * holds rows only, never caller-dependent results.
 *
 * Each domain's loaders are made on first use: `{ __typename }` makes none,
 * the patient list makes the patient, record and clinician ones.
 * `renew()` (after a mutation committed) drops them, so later fields read the
 * committed state.
 */
import type { LoaderContext } from './batching.js';
import { createClinicianLoaders } from './clinician/loaders.js';
import { createEventLoaders } from './event/loaders.js';
import { createPatientLoaders } from './patient/loaders.js';
import { createRecordLoaders } from './record/loaders.js';
import { createScheduleLoaders } from './schedule/loaders.js';
import { createSearchLoaders } from './search/loaders.js';
import { createSelectionLoaders } from './selection/loaders.js';

export class Loaders {
  private patientLoaders: ReturnType<typeof createPatientLoaders> | null = null;
  private recordLoaders: ReturnType<typeof createRecordLoaders> | null = null;
  private clinicianLoaders: ReturnType<typeof createClinicianLoaders> | null = null;
  private eventLoaders: ReturnType<typeof createEventLoaders> | null = null;
  private scheduleLoaders: ReturnType<typeof createScheduleLoaders> | null = null;
  private selectionLoaders: ReturnType<typeof createSelectionLoaders> | null = null;
  private searchLoaders: ReturnType<typeof createSearchLoaders> | null = null;

  constructor(private readonly context: LoaderContext) {}

  get patient() {
    return (this.patientLoaders ??= createPatientLoaders(this.context));
  }
  get record() {
    return (this.recordLoaders ??= createRecordLoaders(this.context));
  }
  get clinician() {
    return (this.clinicianLoaders ??= createClinicianLoaders(this.context));
  }
  get event() {
    return (this.eventLoaders ??= createEventLoaders(this.context));
  }
  get schedule() {
    return (this.scheduleLoaders ??= createScheduleLoaders(this.context));
  }
  get selection() {
    return (this.selectionLoaders ??= createSelectionLoaders(this.context));
  }
  get search() {
    return (this.searchLoaders ??= createSearchLoaders(this.context));
  }

  /** Forgets every loaded value (a committed write changed what they hold); later loads read again. */
  renew(): this {
    this.patientLoaders = this.recordLoaders = this.clinicianLoaders = null;
    this.eventLoaders = this.scheduleLoaders = this.selectionLoaders = this.searchLoaders = null;
    return this;
  }
}

export function createLoaders(context: LoaderContext): Loaders {
  return new Loaders(context);
}
