/**
 * What each GraphQL type resolves from (codegen mappers, see codegen.ts): the
 * Drizzle row for objects, the keyset connection model for connections.
 */
import type { Viewer } from '../auth/token.js';
import type { Connection, Edge } from '../relay/connection.js';
import type { ClinicianRow } from './clinician/repository.js';
import type { EventRow } from './event/repository.js';
import type { PatientRow } from './patient/repository.js';
import type { RecordRow } from './record/repository.js';
import type { ScheduleRow } from './schedule/repository.js';
import type { SearchRow } from './search/repository.js';
import type { SelectionRow } from './selection/repository.js';

export type { ClinicianRow, EventRow, PatientRow, RecordRow, ScheduleRow, SelectionRow };
export type PatientConnectionModel = Connection<PatientRow>;
export type PatientEdgeModel = Edge<PatientRow>;
export type RecordConnectionModel = Connection<RecordRow>;
export type RecordEdgeModel = Edge<RecordRow>;
export type EventConnectionModel = Connection<EventRow>;
export type EventEdgeModel = Edge<EventRow>;
export type RecordSearchConnectionModel = Connection<SearchRow>;
export type RecordSearchEdgeModel = Edge<SearchRow>;
export type ViewerModel = Viewer;
