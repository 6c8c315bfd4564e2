/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** A new event with its slots. */
export type CreateEventInput = {
  description?: string | null | undefined;
  /** 1..1000 distinct slots. */
  slots: Array<SlotInput>;
  /** 1..200 characters, trimmed. */
  title: string;
};

/** A new patient. */
export type CreatePatientInput = {
  /** Not in the future. */
  birthDate: string;
  email?: string | null | undefined;
  isActive?: boolean | null | undefined;
  /** 1..200 characters, trimmed. */
  name: string;
};

/** A new record for a patient. */
export type CreateRecordInput = {
  /** 1..2000 characters, trimmed. */
  diagnosis: string;
  /** Up to 20,000 characters. */
  notes?: string | null | undefined;
  patientId: string | number;
  status?: RecordStatus | null | undefined;
  treatment?: string | null | undefined;
};

/** Narrows the patient list; all given conditions must hold. */
export type PatientFilter = {
  /** Born strictly after this date. */
  bornAfter?: string | null | undefined;
  /** Born strictly before this date. */
  bornBefore?: string | null | undefined;
  /** Only active (true) or inactive (false) patients. */
  isActive?: boolean | null | undefined;
  /** Case-insensitive substring of the name. */
  nameContains?: string | null | undefined;
};

/** How a search orders its matches. */
export type RecordSearchOrder =
  /** createdAt DESC, id DESC, like every other list. */
  | 'NEWEST'
  /** Best match first (ties: newest first). */
  | 'RELEVANCE';

/** Where a medical record stands. */
export type RecordStatus =
  /** Under treatment. */
  | 'ACTIVE'
  /** Finished. */
  | 'CLOSED'
  /** Opened, not yet confirmed. */
  | 'PENDING';

/** What a caller is allowed to do, from the bearer token's `role` claim. */
export type Role =
  /** Reads and writes everything. */
  | 'ADMIN'
  /** Reads everything; creates and updates patients, records and events. */
  | 'CLINICIAN'
  /** Reads their own patient data and all events; sets their own selections. */
  | 'PATIENT';

/** A patient's complete choice of slots in one event. */
export type SetSelectionsInput = {
  eventId: string | number;
  patientId: string | number;
  /** The patient's complete choice for this event (0..1000 schedule ids of that event); replaces the previous one atomically. */
  scheduleIds: Array<string | number>;
};

/** One time slot of a new event. */
export type SlotInput = {
  date: string;
  time: string;
};

/** Changes to a patient; omitted fields stay as they are. */
export type UpdatePatientInput = {
  birthDate?: string | null | undefined;
  email?: string | null | undefined;
  /** Must equal the stored version, or the update fails with CONFLICT. */
  expectedVersion: number;
  id: string | number;
  isActive?: boolean | null | undefined;
  name?: string | null | undefined;
};

/** Changes to a record; omitted fields stay as they are. */
export type UpdateRecordInput = {
  diagnosis?: string | null | undefined;
  /** Must equal the stored version, or the update fails with CONFLICT. */
  expectedVersion: number;
  id: string | number;
  notes?: string | null | undefined;
  status?: RecordStatus | null | undefined;
  treatment?: string | null | undefined;
};

/** Day of the week of a schedule's date. */
export type Weekday =
  | 'FRIDAY'
  | 'MONDAY'
  | 'SATURDAY'
  | 'SUNDAY'
  | 'THURSDAY'
  | 'TUESDAY'
  | 'WEDNESDAY';

export type EventListQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type EventListQuery = { events: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ id: string, title: string, createdAt: string, participantCount: number, organizer: { name: string } | null }> } };

export type CreateEventMutationVariables = Exact<{
  input: CreateEventInput;
}>;


export type CreateEventMutation = { createEvent: { id: string, title: string, description: string | null, version: number, schedules: Array<{ id: string, date: string, day: Weekday, time: string }> } };

export type DeleteEventMutationVariables = Exact<{
  id: string | number;
}>;


export type DeleteEventMutation = { deleteEvent: string };

export type SetSelectionsMutationVariables = Exact<{
  input: SetSelectionsInput;
}>;


export type SetSelectionsMutation = { setSelections: Array<{ id: string, createdAt: string, schedule: { id: string, date: string, time: string, selectionCount: number } }> };

export type EventPageQueryVariables = Exact<{
  id: string | number;
}>;


export type EventPageQuery = { event: { id: string, title: string, description: string | null, version: number, participantCount: number, organizer: { name: string } | null, schedules: Array<{ id: string, date: string, day: Weekday, time: string, selectionCount: number, selections: Array<{ id: string, patient: { id: string, name: string } }> }> } | null };

export type PatientDetailQueryVariables = Exact<{
  id: string | number;
  recordsAfter?: string | null | undefined;
  status?: RecordStatus | null | undefined;
}>;


export type PatientDetailQuery = { patient: { id: string, name: string, email: string | null, birthDate: string, isActive: boolean, version: number, recordCount: number, records: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ id: string, diagnosis: string, treatment: string | null, notes: string | null, status: RecordStatus, createdAt: string, version: number, author: { id: string, name: string, specialty: string | null } | null }> }, selections: Array<{ id: string, createdAt: string, schedule: { id: string, date: string, day: Weekday, time: string, event: { id: string, title: string } } }> } | null };

export type PatientListQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  filter?: PatientFilter | null | undefined;
}>;


export type PatientListQuery = { patients: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ id: string, name: string, birthDate: string, isActive: boolean, recordCount: number, records: { nodes: Array<{ id: string, diagnosis: string, status: RecordStatus, author: { name: string } | null }> } }> } };

export type CreatePatientMutationVariables = Exact<{
  input: CreatePatientInput;
}>;


export type CreatePatientMutation = { createPatient: { id: string, name: string, email: string | null, birthDate: string, isActive: boolean, version: number } };

export type UpdatePatientMutationVariables = Exact<{
  input: UpdatePatientInput;
}>;


export type UpdatePatientMutation = { updatePatient: { id: string, name: string, email: string | null, birthDate: string, isActive: boolean, version: number, updatedAt: string } };

export type DeletePatientMutationVariables = Exact<{
  id: string | number;
}>;


export type DeletePatientMutation = { deletePatient: string };

export type CreateRecordMutationVariables = Exact<{
  input: CreateRecordInput;
}>;


export type CreateRecordMutation = { createRecord: { id: string, diagnosis: string, treatment: string | null, notes: string | null, status: RecordStatus, version: number, author: { name: string } | null } };

export type UpdateRecordMutationVariables = Exact<{
  input: UpdateRecordInput;
}>;


export type UpdateRecordMutation = { updateRecord: { id: string, diagnosis: string, treatment: string | null, notes: string | null, status: RecordStatus, version: number, updatedAt: string } };

export type DeleteRecordsMutationVariables = Exact<{
  ids: Array<string | number> | string | number;
}>;


export type DeleteRecordsMutation = { deleteRecords: Array<string> };

export type RecordSearchQueryVariables = Exact<{
  query?: string;
  first?: number | null | undefined;
  after?: string | null | undefined;
  status?: RecordStatus | null | undefined;
  patientId?: string | number | null | undefined;
  orderBy?: RecordSearchOrder | null | undefined;
}>;


export type RecordSearchQuery = { searchRecords: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ score: number, node: { id: string, diagnosis: string, treatment: string | null, status: RecordStatus, createdAt: string, patient: { id: string, name: string } } }> } };

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { viewer: { role: Role, subject: string, patient: { id: string, name: string } | null } | null };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const EventListDocument = new TypedDocumentString(`
    query EventList($first: Int = 20, $after: String) {
  events(first: $first, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    nodes {
      id
      title
      createdAt
      participantCount
      organizer {
        name
      }
    }
  }
}
    `, {"hash":"sha256:249d0f6bba29675ab269138741e653759b0386c8b88538d1d257aa41ad41eead"}) as unknown as TypedDocumentString<EventListQuery, EventListQueryVariables>;
export const CreateEventDocument = new TypedDocumentString(`
    mutation CreateEvent($input: CreateEventInput!) {
  createEvent(input: $input) {
    id
    title
    description
    version
    schedules {
      id
      date
      day
      time
    }
  }
}
    `, {"hash":"sha256:eba3c8b81ded4042d082063c59f7c256309aeb38f6a63954520dc833650bde71"}) as unknown as TypedDocumentString<CreateEventMutation, CreateEventMutationVariables>;
export const DeleteEventDocument = new TypedDocumentString(`
    mutation DeleteEvent($id: ID!) {
  deleteEvent(id: $id)
}
    `, {"hash":"sha256:6f09eff800c60c91aca3632c7245b9ff02dc8c4eabfcbbc8eb0466fd3a1651e3"}) as unknown as TypedDocumentString<DeleteEventMutation, DeleteEventMutationVariables>;
export const SetSelectionsDocument = new TypedDocumentString(`
    mutation SetSelections($input: SetSelectionsInput!) {
  setSelections(input: $input) {
    id
    createdAt
    schedule {
      id
      date
      time
      selectionCount
    }
  }
}
    `, {"hash":"sha256:f15ff9d1b38f1b6d51ec4afaa3ea312af0ef814fdd0cb00a123c160e09d95265"}) as unknown as TypedDocumentString<SetSelectionsMutation, SetSelectionsMutationVariables>;
export const EventPageDocument = new TypedDocumentString(`
    query EventPage($id: ID!) {
  event(id: $id) {
    id
    title
    description
    version
    participantCount
    organizer {
      name
    }
    schedules {
      id
      date
      day
      time
      selectionCount
      selections {
        id
        patient {
          id
          name
        }
      }
    }
  }
}
    `, {"hash":"sha256:f12d1ebc5ce697c5e1e7ede83fa0db54eefb81678e8075660d043f354aa612c4"}) as unknown as TypedDocumentString<EventPageQuery, EventPageQueryVariables>;
export const PatientDetailDocument = new TypedDocumentString(`
    query PatientDetail($id: ID!, $recordsAfter: String, $status: RecordStatus) {
  patient(id: $id) {
    id
    name
    email
    birthDate
    isActive
    version
    recordCount
    records(first: 20, after: $recordsAfter, status: $status) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        diagnosis
        treatment
        notes
        status
        createdAt
        version
        author {
          id
          name
          specialty
        }
      }
    }
    selections {
      id
      createdAt
      schedule {
        id
        date
        day
        time
        event {
          id
          title
        }
      }
    }
  }
}
    `, {"hash":"sha256:33c69feb309ebf9ee2daad9154fe0dd6ad49aa8924795f2fa2b7c77abc6266f9"}) as unknown as TypedDocumentString<PatientDetailQuery, PatientDetailQueryVariables>;
export const PatientListDocument = new TypedDocumentString(`
    query PatientList($first: Int = 20, $after: String, $filter: PatientFilter) {
  patients(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    nodes {
      id
      name
      birthDate
      isActive
      recordCount
      records(first: 5) {
        nodes {
          id
          diagnosis
          status
          author {
            name
          }
        }
      }
    }
  }
}
    `, {"hash":"sha256:37036140256db25ab795b7f855fc6c442e4c57c2f2eef5cb1f3b3c40ac46a408"}) as unknown as TypedDocumentString<PatientListQuery, PatientListQueryVariables>;
export const CreatePatientDocument = new TypedDocumentString(`
    mutation CreatePatient($input: CreatePatientInput!) {
  createPatient(input: $input) {
    id
    name
    email
    birthDate
    isActive
    version
  }
}
    `, {"hash":"sha256:02ca4e04b6f65cba3bfe1ea1eb618670543b44eadd9ce759e9205e3d01e115bd"}) as unknown as TypedDocumentString<CreatePatientMutation, CreatePatientMutationVariables>;
export const UpdatePatientDocument = new TypedDocumentString(`
    mutation UpdatePatient($input: UpdatePatientInput!) {
  updatePatient(input: $input) {
    id
    name
    email
    birthDate
    isActive
    version
    updatedAt
  }
}
    `, {"hash":"sha256:14db07f0a1fe49e0d4b970615d233f097c7cca8649c9f58e5278b31efe9d7c01"}) as unknown as TypedDocumentString<UpdatePatientMutation, UpdatePatientMutationVariables>;
export const DeletePatientDocument = new TypedDocumentString(`
    mutation DeletePatient($id: ID!) {
  deletePatient(id: $id)
}
    `, {"hash":"sha256:4a00e5579c400e3eb2ad9664183a329c90c008381e7fc06667476f1151eb6204"}) as unknown as TypedDocumentString<DeletePatientMutation, DeletePatientMutationVariables>;
export const CreateRecordDocument = new TypedDocumentString(`
    mutation CreateRecord($input: CreateRecordInput!) {
  createRecord(input: $input) {
    id
    diagnosis
    treatment
    notes
    status
    version
    author {
      name
    }
  }
}
    `, {"hash":"sha256:8fe31249933e4f9be4e393d46e3d18013a070815bca342ddbe87372ffb2e0d02"}) as unknown as TypedDocumentString<CreateRecordMutation, CreateRecordMutationVariables>;
export const UpdateRecordDocument = new TypedDocumentString(`
    mutation UpdateRecord($input: UpdateRecordInput!) {
  updateRecord(input: $input) {
    id
    diagnosis
    treatment
    notes
    status
    version
    updatedAt
  }
}
    `, {"hash":"sha256:2a85e2201e6bce639b21938056d52804451109f0870d6e8edd5b5139e80b8131"}) as unknown as TypedDocumentString<UpdateRecordMutation, UpdateRecordMutationVariables>;
export const DeleteRecordsDocument = new TypedDocumentString(`
    mutation DeleteRecords($ids: [ID!]!) {
  deleteRecords(ids: $ids)
}
    `, {"hash":"sha256:db49316a36c9f20fd6edf4438e7daf25bb58c82b5daccd5b138c8a02e18281e7"}) as unknown as TypedDocumentString<DeleteRecordsMutation, DeleteRecordsMutationVariables>;
export const RecordSearchDocument = new TypedDocumentString(`
    query RecordSearch($query: String! = "asthma", $first: Int = 20, $after: String, $status: RecordStatus, $patientId: ID, $orderBy: RecordSearchOrder = RELEVANCE) {
  searchRecords(
    query: $query
    first: $first
    after: $after
    status: $status
    patientId: $patientId
    orderBy: $orderBy
  ) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      score
      node {
        id
        diagnosis
        treatment
        status
        createdAt
        patient {
          id
          name
        }
      }
    }
  }
}
    `, {"hash":"sha256:2f50b2c98e74bf4a53fbf3cf0f1f133c8c0031f02122b24b18fb9ebe7afd483f"}) as unknown as TypedDocumentString<RecordSearchQuery, RecordSearchQueryVariables>;
export const ViewerDocument = new TypedDocumentString(`
    query Viewer {
  viewer {
    role
    subject
    patient {
      id
      name
    }
  }
}
    `, {"hash":"sha256:2a6cb4102e6d9a4793d91804ee24850ad7a6e7725d7ee744fc2e90d3d3fb322e"}) as unknown as TypedDocumentString<ViewerQuery, ViewerQueryVariables>;