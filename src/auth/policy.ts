/**
 * Object-level read access (the contract's access table). Every resolver that
 * hands out a row asks `canRead` first, after loaders and caches, so the same
 * answer holds whichever path, batch or cache produced the row. An object the
 * viewer may not read behaves as if it did not exist (null, or absent from lists).
 *
 * Example:
 *   canRead(patientViewer, 'MedicalRecord', { patientId: 7 }) // true only when patientViewer.patientId === 7
 */
import type { GraphQLError } from 'graphql';
import type { Executor } from '../db/transaction.js';
import { gatewayError } from '../errors.js';
import { clinicianRepository } from '../modules/clinician/repository.js';
import { parseGlobalId } from '../relay/global-id.js';
import type { Viewer } from './token.js';

interface ReadableRows {
  Patient: { id: number };
  MedicalRecord: { patientId: number };
  Selection: { patientId: number };
  Clinician: object;
  Event: object;
  Schedule: object;
}

export function canRead<T extends keyof ReadableRows>(viewer: Viewer, type: T, row: ReadableRows[T]): boolean {
  if (viewer.role !== 'patient') return true;
  switch (type) {
    case 'Patient':
      return (row as ReadableRows['Patient']).id === viewer.patientId;
    case 'MedicalRecord':
    case 'Selection':
      return (row as ReadableRows['Selection']).patientId === viewer.patientId;
    default:
      return true;
  }
}

/** The row when the viewer may read it, else null. */
export function readable<T extends keyof ReadableRows, R extends ReadableRows[T]>(
  viewer: Viewer,
  type: T,
  row: R | null | undefined,
): R | null {
  return row != null && canRead(viewer, type, row) ? row : null;
}

/** The viewer of an authenticated request, or the UNAUTHENTICATED error explaining why there is none. */
export function requireViewer(auth: { viewer: Viewer | null; authError: GraphQLError | null }): Viewer {
  if (auth.viewer) return auth.viewer;
  throw auth.authError ?? gatewayError('UNAUTHENTICATED', 'This field needs a bearer token (Authorization: Bearer <token>).');
}

export type WriteAction = 'create' | 'update' | 'delete';

/** Who may write what (the contract's table): admins everything, clinicians create and update, never delete. */
const WRITERS: Record<WriteAction, readonly Viewer['role'][]> = {
  create: ['admin', 'clinician'],
  update: ['admin', 'clinician'],
  delete: ['admin'],
};

/** FORBIDDEN unless the viewer's role may perform `action` on `what` (e.g. 'patients'). */
export function requireWriteAccess(viewer: Viewer, action: WriteAction, what: string): void {
  if (!WRITERS[action].includes(viewer.role)) {
    throw gatewayError('FORBIDDEN', `A ${viewer.role} may not ${action} ${what}.`, { role: viewer.role, action });
  }
}

/** What `authorizeWrite` needs of the request context. */
export interface WriteAuthorization {
  readonly viewer: Viewer | null;
  readonly authError: GraphQLError | null;
  /** The primary (a mutation's handle), never a replica or the cache: a write is decided on what the primary holds. */
  readonly db: Executor;
}

/**
 * The caller of a mutation, once it may perform `action` on `what`: authenticated
 * (UNAUTHENTICATED), a role that may (FORBIDDEN), and for a clinician, a token that
 * names a clinician who exists (FORBIDDEN otherwise, as the contract says: such a
 * token may read but not write). Decided before any write starts, with one read of
 * the clinician on the primary (a lagging replica or a cached absence must not
 * refuse a clinician who exists).
 *
 * Example:
 *   const viewer = await authorizeWrite(context, 'create', 'events');
 */
export async function authorizeWrite(context: WriteAuthorization, action: WriteAction, what: string): Promise<Viewer> {
  const viewer = requireViewer(context);
  requireWriteAccess(viewer, action, what);
  const clinicianId = clinicianIdOf(viewer);
  if (clinicianId !== null && (await clinicianRepository(context.db).existing([clinicianId])).length === 0) {
    throw gatewayError('FORBIDDEN', `The token's subject ${viewer.subject} is not a known clinician; it may read but not write.`, {
      role: viewer.role,
      action,
    });
  }
  return viewer;
}

/** The clinician row id a clinician token stands for (its `sub`), or null for anyone else. */
export function clinicianIdOf(viewer: Viewer): number | null {
  if (viewer.role !== 'clinician') return null;
  const parsed = parseGlobalId(viewer.subject);
  return parsed?.type === 'Clinician' ? parsed.id : null;
}
