/**
 * GraphQL documents several test files send as they are: the smallest
 * mutation of each kind (answering only ids), for tests about what happens
 * around a write (limits, hostile input, concurrency) rather than its answer.
 * Documents whose selection is the point of a test stay in that test.
 */

export const CREATE_PATIENT_ID = 'mutation ($input: CreatePatientInput!) { createPatient(input: $input) { id } }';
export const CREATE_RECORD_ID = 'mutation ($input: CreateRecordInput!) { createRecord(input: $input) { id } }';
export const CREATE_EVENT_ID = 'mutation ($input: CreateEventInput!) { createEvent(input: $input) { id } }';
export const SET_SELECTIONS_ID = 'mutation ($input: SetSelectionsInput!) { setSelections(input: $input) { id } }';
export const DELETE_PATIENT = 'mutation ($id: ID!) { deletePatient(id: $id) }';
export const DELETE_RECORDS = 'mutation ($ids: [ID!]!) { deleteRecords(ids: $ids) }';
export const DELETE_EVENT = 'mutation ($id: ID!) { deleteEvent(id: $id) }';
