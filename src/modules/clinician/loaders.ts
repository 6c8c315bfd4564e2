/** Per-request loaders for clinicians: by id, through the fragment cache. */
import { clinicians } from '../../../drizzle/schema.js';
import type { LoaderContext } from '../batching.js';
import { byIdLoader } from '../by-id.js';
import type { ClinicianRow } from './repository.js';

const clinicianById = byIdLoader<ClinicianRow>(clinicians, { name: 'Clinician' });

export function createClinicianLoaders(context: LoaderContext) {
  return { byId: clinicianById(context) };
}

export type ClinicianLoaders = ReturnType<typeof createClinicianLoaders>;
