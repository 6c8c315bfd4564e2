/* eslint-disable */
import * as types from './graphql.js';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query EventList($first: Int = 20, $after: String) {\n  events(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    nodes {\n      id\n      title\n      createdAt\n      participantCount\n      organizer {\n        name\n      }\n    }\n  }\n}": typeof types.EventListDocument,
    "mutation CreateEvent($input: CreateEventInput!) {\n  createEvent(input: $input) {\n    id\n    title\n    description\n    version\n    schedules {\n      id\n      date\n      day\n      time\n    }\n  }\n}\n\nmutation DeleteEvent($id: ID!) {\n  deleteEvent(id: $id)\n}\n\nmutation SetSelections($input: SetSelectionsInput!) {\n  setSelections(input: $input) {\n    id\n    createdAt\n    schedule {\n      id\n      date\n      time\n      selectionCount\n    }\n  }\n}": typeof types.CreateEventDocument,
    "query EventPage($id: ID!) {\n  event(id: $id) {\n    id\n    title\n    description\n    version\n    participantCount\n    organizer {\n      name\n    }\n    schedules {\n      id\n      date\n      day\n      time\n      selectionCount\n      selections {\n        id\n        patient {\n          id\n          name\n        }\n      }\n    }\n  }\n}": typeof types.EventPageDocument,
    "query PatientDetail($id: ID!, $recordsAfter: String, $status: RecordStatus) {\n  patient(id: $id) {\n    id\n    name\n    email\n    birthDate\n    isActive\n    version\n    recordCount\n    records(first: 20, after: $recordsAfter, status: $status) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        diagnosis\n        treatment\n        notes\n        status\n        createdAt\n        version\n        author {\n          id\n          name\n          specialty\n        }\n      }\n    }\n    selections {\n      id\n      createdAt\n      schedule {\n        id\n        date\n        day\n        time\n        event {\n          id\n          title\n        }\n      }\n    }\n  }\n}": typeof types.PatientDetailDocument,
    "query PatientList($first: Int = 20, $after: String, $filter: PatientFilter) {\n  patients(first: $first, after: $after, filter: $filter) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    nodes {\n      id\n      name\n      birthDate\n      isActive\n      recordCount\n      records(first: 5) {\n        nodes {\n          id\n          diagnosis\n          status\n          author {\n            name\n          }\n        }\n      }\n    }\n  }\n}": typeof types.PatientListDocument,
    "mutation CreatePatient($input: CreatePatientInput!) {\n  createPatient(input: $input) {\n    id\n    name\n    email\n    birthDate\n    isActive\n    version\n  }\n}\n\nmutation UpdatePatient($input: UpdatePatientInput!) {\n  updatePatient(input: $input) {\n    id\n    name\n    email\n    birthDate\n    isActive\n    version\n    updatedAt\n  }\n}\n\nmutation DeletePatient($id: ID!) {\n  deletePatient(id: $id)\n}": typeof types.CreatePatientDocument,
    "mutation CreateRecord($input: CreateRecordInput!) {\n  createRecord(input: $input) {\n    id\n    diagnosis\n    treatment\n    notes\n    status\n    version\n    author {\n      name\n    }\n  }\n}\n\nmutation UpdateRecord($input: UpdateRecordInput!) {\n  updateRecord(input: $input) {\n    id\n    diagnosis\n    treatment\n    notes\n    status\n    version\n    updatedAt\n  }\n}\n\nmutation DeleteRecords($ids: [ID!]!) {\n  deleteRecords(ids: $ids)\n}": typeof types.CreateRecordDocument,
    "query RecordSearch($query: String! = \"asthma\", $first: Int = 20, $after: String, $status: RecordStatus, $patientId: ID, $orderBy: RecordSearchOrder = RELEVANCE) {\n  searchRecords(\n    query: $query\n    first: $first\n    after: $after\n    status: $status\n    patientId: $patientId\n    orderBy: $orderBy\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      score\n      node {\n        id\n        diagnosis\n        treatment\n        status\n        createdAt\n        patient {\n          id\n          name\n        }\n      }\n    }\n  }\n}": typeof types.RecordSearchDocument,
    "query Viewer {\n  viewer {\n    role\n    subject\n    patient {\n      id\n      name\n    }\n  }\n}": typeof types.ViewerDocument,
};
const documents: Documents = {
    "query EventList($first: Int = 20, $after: String) {\n  events(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    nodes {\n      id\n      title\n      createdAt\n      participantCount\n      organizer {\n        name\n      }\n    }\n  }\n}": types.EventListDocument,
    "mutation CreateEvent($input: CreateEventInput!) {\n  createEvent(input: $input) {\n    id\n    title\n    description\n    version\n    schedules {\n      id\n      date\n      day\n      time\n    }\n  }\n}\n\nmutation DeleteEvent($id: ID!) {\n  deleteEvent(id: $id)\n}\n\nmutation SetSelections($input: SetSelectionsInput!) {\n  setSelections(input: $input) {\n    id\n    createdAt\n    schedule {\n      id\n      date\n      time\n      selectionCount\n    }\n  }\n}": types.CreateEventDocument,
    "query EventPage($id: ID!) {\n  event(id: $id) {\n    id\n    title\n    description\n    version\n    participantCount\n    organizer {\n      name\n    }\n    schedules {\n      id\n      date\n      day\n      time\n      selectionCount\n      selections {\n        id\n        patient {\n          id\n          name\n        }\n      }\n    }\n  }\n}": types.EventPageDocument,
    "query PatientDetail($id: ID!, $recordsAfter: String, $status: RecordStatus) {\n  patient(id: $id) {\n    id\n    name\n    email\n    birthDate\n    isActive\n    version\n    recordCount\n    records(first: 20, after: $recordsAfter, status: $status) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        diagnosis\n        treatment\n        notes\n        status\n        createdAt\n        version\n        author {\n          id\n          name\n          specialty\n        }\n      }\n    }\n    selections {\n      id\n      createdAt\n      schedule {\n        id\n        date\n        day\n        time\n        event {\n          id\n          title\n        }\n      }\n    }\n  }\n}": types.PatientDetailDocument,
    "query PatientList($first: Int = 20, $after: String, $filter: PatientFilter) {\n  patients(first: $first, after: $after, filter: $filter) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    nodes {\n      id\n      name\n      birthDate\n      isActive\n      recordCount\n      records(first: 5) {\n        nodes {\n          id\n          diagnosis\n          status\n          author {\n            name\n          }\n        }\n      }\n    }\n  }\n}": types.PatientListDocument,
    "mutation CreatePatient($input: CreatePatientInput!) {\n  createPatient(input: $input) {\n    id\n    name\n    email\n    birthDate\n    isActive\n    version\n  }\n}\n\nmutation UpdatePatient($input: UpdatePatientInput!) {\n  updatePatient(input: $input) {\n    id\n    name\n    email\n    birthDate\n    isActive\n    version\n    updatedAt\n  }\n}\n\nmutation DeletePatient($id: ID!) {\n  deletePatient(id: $id)\n}": types.CreatePatientDocument,
    "mutation CreateRecord($input: CreateRecordInput!) {\n  createRecord(input: $input) {\n    id\n    diagnosis\n    treatment\n    notes\n    status\n    version\n    author {\n      name\n    }\n  }\n}\n\nmutation UpdateRecord($input: UpdateRecordInput!) {\n  updateRecord(input: $input) {\n    id\n    diagnosis\n    treatment\n    notes\n    status\n    version\n    updatedAt\n  }\n}\n\nmutation DeleteRecords($ids: [ID!]!) {\n  deleteRecords(ids: $ids)\n}": types.CreateRecordDocument,
    "query RecordSearch($query: String! = \"asthma\", $first: Int = 20, $after: String, $status: RecordStatus, $patientId: ID, $orderBy: RecordSearchOrder = RELEVANCE) {\n  searchRecords(\n    query: $query\n    first: $first\n    after: $after\n    status: $status\n    patientId: $patientId\n    orderBy: $orderBy\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      score\n      node {\n        id\n        diagnosis\n        treatment\n        status\n        createdAt\n        patient {\n          id\n          name\n        }\n      }\n    }\n  }\n}": types.RecordSearchDocument,
    "query Viewer {\n  viewer {\n    role\n    subject\n    patient {\n      id\n      name\n    }\n  }\n}": types.ViewerDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query EventList($first: Int = 20, $after: String) {\n  events(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    nodes {\n      id\n      title\n      createdAt\n      participantCount\n      organizer {\n        name\n      }\n    }\n  }\n}"): typeof import('./graphql.js').EventListDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateEvent($input: CreateEventInput!) {\n  createEvent(input: $input) {\n    id\n    title\n    description\n    version\n    schedules {\n      id\n      date\n      day\n      time\n    }\n  }\n}\n\nmutation DeleteEvent($id: ID!) {\n  deleteEvent(id: $id)\n}\n\nmutation SetSelections($input: SetSelectionsInput!) {\n  setSelections(input: $input) {\n    id\n    createdAt\n    schedule {\n      id\n      date\n      time\n      selectionCount\n    }\n  }\n}"): typeof import('./graphql.js').CreateEventDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query EventPage($id: ID!) {\n  event(id: $id) {\n    id\n    title\n    description\n    version\n    participantCount\n    organizer {\n      name\n    }\n    schedules {\n      id\n      date\n      day\n      time\n      selectionCount\n      selections {\n        id\n        patient {\n          id\n          name\n        }\n      }\n    }\n  }\n}"): typeof import('./graphql.js').EventPageDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query PatientDetail($id: ID!, $recordsAfter: String, $status: RecordStatus) {\n  patient(id: $id) {\n    id\n    name\n    email\n    birthDate\n    isActive\n    version\n    recordCount\n    records(first: 20, after: $recordsAfter, status: $status) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        diagnosis\n        treatment\n        notes\n        status\n        createdAt\n        version\n        author {\n          id\n          name\n          specialty\n        }\n      }\n    }\n    selections {\n      id\n      createdAt\n      schedule {\n        id\n        date\n        day\n        time\n        event {\n          id\n          title\n        }\n      }\n    }\n  }\n}"): typeof import('./graphql.js').PatientDetailDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query PatientList($first: Int = 20, $after: String, $filter: PatientFilter) {\n  patients(first: $first, after: $after, filter: $filter) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    nodes {\n      id\n      name\n      birthDate\n      isActive\n      recordCount\n      records(first: 5) {\n        nodes {\n          id\n          diagnosis\n          status\n          author {\n            name\n          }\n        }\n      }\n    }\n  }\n}"): typeof import('./graphql.js').PatientListDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreatePatient($input: CreatePatientInput!) {\n  createPatient(input: $input) {\n    id\n    name\n    email\n    birthDate\n    isActive\n    version\n  }\n}\n\nmutation UpdatePatient($input: UpdatePatientInput!) {\n  updatePatient(input: $input) {\n    id\n    name\n    email\n    birthDate\n    isActive\n    version\n    updatedAt\n  }\n}\n\nmutation DeletePatient($id: ID!) {\n  deletePatient(id: $id)\n}"): typeof import('./graphql.js').CreatePatientDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateRecord($input: CreateRecordInput!) {\n  createRecord(input: $input) {\n    id\n    diagnosis\n    treatment\n    notes\n    status\n    version\n    author {\n      name\n    }\n  }\n}\n\nmutation UpdateRecord($input: UpdateRecordInput!) {\n  updateRecord(input: $input) {\n    id\n    diagnosis\n    treatment\n    notes\n    status\n    version\n    updatedAt\n  }\n}\n\nmutation DeleteRecords($ids: [ID!]!) {\n  deleteRecords(ids: $ids)\n}"): typeof import('./graphql.js').CreateRecordDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query RecordSearch($query: String! = \"asthma\", $first: Int = 20, $after: String, $status: RecordStatus, $patientId: ID, $orderBy: RecordSearchOrder = RELEVANCE) {\n  searchRecords(\n    query: $query\n    first: $first\n    after: $after\n    status: $status\n    patientId: $patientId\n    orderBy: $orderBy\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      score\n      node {\n        id\n        diagnosis\n        treatment\n        status\n        createdAt\n        patient {\n          id\n          name\n        }\n      }\n    }\n  }\n}"): typeof import('./graphql.js').RecordSearchDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Viewer {\n  viewer {\n    role\n    subject\n    patient {\n      id\n      name\n    }\n  }\n}"): typeof import('./graphql.js').ViewerDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
