/** Per-request loaders for clinicians: by id. */
import type { Db } from '../../db/client.js';
import { createLoader, oneByKey } from '../batching.js';
import { clinicianRepository, type ClinicianRow } from './repository.js';

export function createClinicianLoaders(db: Db, chunkSize: number) {
  const repository = clinicianRepository(db);
  return {
    byId: createLoader<number, ClinicianRow | null>(
      async (ids) => oneByKey(ids, await repository.findByIds(ids), (row) => row.id),
      { chunkSize },
    ),
  };
}

export type ClinicianLoaders = ReturnType<typeof createClinicianLoaders>;
