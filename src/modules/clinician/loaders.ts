/** Per-request loaders for clinicians: by id, through the fragment cache. */
import { cacheTags } from '../../cache/tags.js';
import { cachedLoader, oneByKey, type LoaderContext } from '../batching.js';
import { clinicianReads, type ClinicianRow } from './repository.js';

export function createClinicianLoaders(context: LoaderContext) {
  const repository = clinicianReads(context.reads);
  return {
    byId: cachedLoader<number, ClinicianRow | null>(
      context,
      {
        name: 'Clinician',
        tagsOf: (id, row) => (row ? [cacheTags.clinician(id)] : [cacheTags.clinician(id), cacheTags.absent('Clinician')]),
      },
      async (ids) => oneByKey(ids, await repository.findByIds(ids), (row) => row.id),
    ),
  };
}

export type ClinicianLoaders = ReturnType<typeof createClinicianLoaders>;
