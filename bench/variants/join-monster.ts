/**
 * Peer variant: Join Monster (dialect 'mariadb') over the gateway's tables,
 * for scenarios S1 (patient list page) and S3 (event page) only. It owns a
 * code-first schema that mirrors the slice of the gateway's SDL those two
 * documents touch, so the benchmark compares the gateway's DataLoader
 * batching with a library that compiles each GraphQL request into a few big
 * SQL statements.
 *
 * Every field serializes exactly as the gateway's does: global ids are
 * base64url("Type:id") (src/relay/global-id.ts), and Date / LocalTime use the
 * gateway's own scalars (src/modules/scalars.ts). Bodies end with a newline,
 * as Apollo Server's do, so responses are byte-identical.
 *
 * Only admins are served: the gateway's row-level rules for other roles are
 * out of scope here, and for an admin they filter nothing.
 *
 * Contract with bench/run.ts: POST /graphql `{ query, variables }`, GET
 * /bench/stats `{ "sql": n, "gcMs": g, "cpuMs": c }` (n: statements sent
 * through `dbCall` below; g and c: ./stats.ts),
 * `ready <url>` on stdout, exit 0 on SIGTERM/SIGINT.
 * Env: PORT, DATABASE_URL, JWT_SECRET, LOG_LEVEL, DB_POOL_SIZE.
 */
import http from 'node:http';
import {
  execute,
  GraphQLBoolean,
  GraphQLError,
  GraphQLID,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  Kind,
  parse,
  validate,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
} from 'graphql';
import joinMonsterModule from 'join-monster';
import mysql from 'mysql2/promise';
import { tokenRulesOf, viewerFromAuthorization, type Viewer } from '../../src/auth/token.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { DateScalar, LocalTimeScalar } from '../../src/modules/scalars.js';
import { parseGlobalId, toGlobalId, type NodeType } from '../../src/relay/global-id.js';
import { serveVariant } from './serve.js';
import { sendBenchStats } from './stats.js';

// join-monster is CommonJS with `exports.default`: from ESM, the default import is its module.exports.
const joinMonster = joinMonsterModule.default;

const config = loadConfig();
const logger = createLogger(config.logLevel);

const pool = mysql.createPool({
  uri: config.databaseUrl,
  connectionLimit: config.dbPoolSize,
  // As the gateway's pool: UTC, and BIGINT ids and COUNT(*) as JS numbers.
  timezone: 'Z',
  supportBigNumbers: true,
  charset: 'utf8mb4_unicode_ci',
  // DATE columns stay 'YYYY-MM-DD' strings, as drizzle hands them to the gateway's Date scalar.
  dateStrings: ['DATE'],
});

let statements = 0;
/** Join Monster's only way to the database: every statement it sends is counted here. */
async function dbCall(sql: string): Promise<unknown[]> {
  statements += 1;
  const [rows] = await pool.query(sql);
  return rows as unknown[];
}

interface Context {
  readonly viewer: Viewer;
}

type Row = Record<string, unknown>;
interface JoinMonsterConnection {
  readonly edges: readonly { readonly node: Row }[];
}

const globalIdField = (type: NodeType) => ({
  type: new GraphQLNonNull(GraphQLID),
  extensions: { joinMonster: { sqlColumn: 'id' } },
  resolve: (row: Row) => toGlobalId(type, row.id as number),
});

const PageInfo = new GraphQLObjectType({
  name: 'PageInfo',
  fields: {
    hasNextPage: { type: new GraphQLNonNull(GraphQLBoolean) },
    hasPreviousPage: { type: new GraphQLNonNull(GraphQLBoolean) },
    startCursor: { type: GraphQLString },
    endCursor: { type: GraphQLString },
  },
});

/**
 * Join Monster only plans `edges { node { ... } }` selections of a connection;
 * the gateway's documents select `nodes { ... }`. Each connection type keeps
 * `edges` for Join Monster and resolves `nodes` from them, and the resolver
 * below hands Join Monster the document with `nodes` spelled as `edges.node`.
 */
const connectionFields = (nodeType: GraphQLObjectType) => ({
  edges: {
    type: new GraphQLNonNull(
      new GraphQLList(
        new GraphQLNonNull(
          new GraphQLObjectType({
            name: `${nodeType.name}Edge`,
            fields: { cursor: { type: new GraphQLNonNull(GraphQLString) }, node: { type: new GraphQLNonNull(nodeType) } },
          }),
        ),
      ),
    ),
  },
  nodes: {
    type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(nodeType))),
    resolve: (connection: JoinMonsterConnection) => connection.edges.map((edge) => edge.node),
  },
  pageInfo: { type: new GraphQLNonNull(PageInfo) },
});

const nodesAsEdges = new WeakMap<object, FieldNode | FragmentDefinitionNode>();
function edgesForNodes<T extends FieldNode | FragmentDefinitionNode>(node: T): T {
  let rewritten = nodesAsEdges.get(node);
  if (!rewritten) {
    rewritten = visit(node, {
      Field: {
        leave(field) {
          if (field.name.value !== 'nodes' || field.alias || !field.selectionSet) return undefined;
          return {
            kind: Kind.FIELD,
            name: { kind: Kind.NAME, value: 'edges' },
            selectionSet: {
              kind: Kind.SELECTION_SET,
              selections: [{ kind: Kind.FIELD, name: { kind: Kind.NAME, value: 'node' }, selectionSet: field.selectionSet }],
            },
          };
        },
      },
    });
    // Documents are cached (see `prepared`), so each field node is rewritten once.
    nodesAsEdges.set(node, rewritten);
  }
  return rewritten as T;
}

/** Root resolver: Join Monster compiles the whole subtree into SQL. */
const viaJoinMonster: GraphQLFieldResolver<unknown, Context> = (_source, _args, context, info: GraphQLResolveInfo) =>
  joinMonster(
    {
      ...info,
      fieldNodes: info.fieldNodes.map(edgesForNodes),
      fragments: Object.fromEntries(Object.entries(info.fragments).map(([name, fragment]) => [name, edgesForNodes(fragment)])),
    },
    context,
    dbCall,
    { dialect: 'mariadb' },
  );

/** A row id from a global id of `type`; ids are interpolated into SQL, so only parsed integers get there. */
function rowIdOf(globalId: unknown, type: NodeType): number {
  const parsed = typeof globalId === 'string' ? parseGlobalId(globalId) : null;
  if (parsed?.type !== type) throw new GraphQLError(`Argument "id" must be ${type === 'Event' ? 'an' : 'a'} ${type} id.`);
  return parsed.id;
}

const Clinician = new GraphQLObjectType<Row, Context>({
  name: 'Clinician',
  extensions: { joinMonster: { sqlTable: 'clinicians', uniqueKey: 'id' } },
  fields: {
    id: globalIdField('Clinician'),
    name: { type: new GraphQLNonNull(GraphQLString) },
    specialty: { type: GraphQLString },
  },
});

const MedicalRecord = new GraphQLObjectType<Row, Context>({
  name: 'MedicalRecord',
  extensions: { joinMonster: { sqlTable: 'medical_records', uniqueKey: 'id' } },
  fields: {
    id: globalIdField('MedicalRecord'),
    diagnosis: { type: new GraphQLNonNull(GraphQLString) },
    status: { type: new GraphQLNonNull(GraphQLString) },
    author: {
      type: Clinician,
      extensions: { joinMonster: { sqlJoin: (records: string, authors: string) => `${records}.author_id = ${authors}.id` } },
    },
  },
});

const MedicalRecordConnection = new GraphQLObjectType<JoinMonsterConnection, Context>({
  name: 'MedicalRecordConnection',
  fields: connectionFields(MedicalRecord),
});

// Keyset order of the gateway's lists: newest first, id breaking ties (patients_created_at_id_idx and
// medical_records_patient_created_at_id_idx serve it).
const NEWEST_FIRST = [
  { column: 'created_at', direction: 'DESC' as const },
  { column: 'id', direction: 'DESC' as const },
];

const Patient = new GraphQLObjectType<Row, Context>({
  name: 'Patient',
  extensions: { joinMonster: { sqlTable: 'patients', uniqueKey: 'id' } },
  fields: () => ({
    id: globalIdField('Patient'),
    name: { type: new GraphQLNonNull(GraphQLString) },
    birthDate: { type: new GraphQLNonNull(DateScalar), extensions: { joinMonster: { sqlColumn: 'birth_date' } } },
    recordCount: {
      type: new GraphQLNonNull(GraphQLInt),
      extensions: {
        joinMonster: {
          sqlExpr: (patients: string) =>
            `(SELECT COUNT(*) FROM medical_records counted WHERE counted.patient_id = ${patients}.id)`,
        },
      },
    },
    records: {
      type: new GraphQLNonNull(MedicalRecordConnection),
      args: { first: { type: GraphQLInt, defaultValue: 10 } },
      // sqlPageLimit: the gateway's MAX_PAGE_SIZE bound on `first`.
      // On mariadb Join Monster paginates one-to-many only by batch (a UNION of per-patient keyset
      // subqueries, one statement for the whole page); a paginated sqlJoin is "not supported on this dialect".
      extensions: {
        joinMonster: {
          sqlPaginate: true,
          sqlPageLimit: config.maxPageSize,
          sortKey: NEWEST_FIRST,
          sqlBatch: { thisKey: 'patient_id', parentKey: 'id' },
        },
      },
    },
  }),
});

const PatientConnection = new GraphQLObjectType<JoinMonsterConnection, Context>({
  name: 'PatientConnection',
  fields: connectionFields(Patient),
});

const Selection = new GraphQLObjectType<Row, Context>({
  name: 'Selection',
  extensions: { joinMonster: { sqlTable: 'selections', uniqueKey: 'id' } },
  fields: {
    id: globalIdField('Selection'),
    patient: {
      type: new GraphQLNonNull(Patient),
      extensions: { joinMonster: { sqlJoin: (picks: string, patients: string) => `${picks}.patient_id = ${patients}.id` } },
    },
  },
});

const Schedule = new GraphQLObjectType<Row, Context>({
  name: 'Schedule',
  extensions: { joinMonster: { sqlTable: 'schedules', uniqueKey: 'id' } },
  fields: {
    id: globalIdField('Schedule'),
    date: { type: new GraphQLNonNull(DateScalar) },
    time: { type: new GraphQLNonNull(LocalTimeScalar) },
    selectionCount: {
      type: new GraphQLNonNull(GraphQLInt),
      extensions: {
        joinMonster: {
          sqlExpr: (slots: string) => `(SELECT COUNT(*) FROM selections counted WHERE counted.schedule_id = ${slots}.id)`,
        },
      },
    },
    selections: {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(Selection))),
      extensions: {
        joinMonster: {
          sqlJoin: (slots: string, picks: string) => `${slots}.id = ${picks}.schedule_id`,
          orderBy: [{ column: 'id', direction: 'ASC' }],
        },
      },
    },
  },
});

const Event = new GraphQLObjectType<Row, Context>({
  name: 'Event',
  extensions: { joinMonster: { sqlTable: 'events', uniqueKey: 'id' } },
  fields: {
    id: globalIdField('Event'),
    title: { type: new GraphQLNonNull(GraphQLString) },
    schedules: {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(Schedule))),
      extensions: {
        joinMonster: {
          sqlJoin: (events: string, slots: string) => `${events}.id = ${slots}.event_id`,
          orderBy: [
            { column: 'date', direction: 'ASC' },
            { column: 'time', direction: 'ASC' },
          ],
        },
      },
    },
  },
});

const schema = new GraphQLSchema({
  query: new GraphQLObjectType<unknown, Context>({
    name: 'Query',
    fields: {
      patients: {
        type: new GraphQLNonNull(PatientConnection),
        args: { first: { type: GraphQLInt, defaultValue: 20 } },
        extensions: { joinMonster: { sqlPaginate: true, sqlPageLimit: config.maxPageSize, sortKey: NEWEST_FIRST } },
        resolve: viaJoinMonster,
      },
      event: {
        type: Event,
        args: { id: { type: new GraphQLNonNull(GraphQLID) } },
        extensions: {
          joinMonster: { where: (events: string, args: { id: string }) => `${events}.id = ${rowIdOf(args.id, 'Event')}` },
        },
        resolve: viaJoinMonster,
      },
    },
  }),
});

/** Parsed and validated documents by text: the bench sends a handful of documents over and over. */
const prepared = new Map<string, DocumentNode | readonly GraphQLError[]>();
function prepare(query: string): DocumentNode | readonly GraphQLError[] {
  let entry = prepared.get(query);
  if (!entry) {
    try {
      const document = parse(query);
      const errors = validate(schema, document);
      entry = errors.length > 0 ? errors : document;
    } catch (error) {
      entry = [error as GraphQLError];
    }
    if (prepared.size >= 1000) prepared.clear();
    prepared.set(query, entry);
  }
  return entry;
}

interface GraphQLBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > config.bodyLimitBytes) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function handleGraphQL(req: http.IncomingMessage): Promise<{ status: number; body: unknown }> {
  let body: GraphQLBody;
  try {
    body = JSON.parse(await readBody(req)) as GraphQLBody;
  } catch {
    return { status: 400, body: { errors: [{ message: 'The request body is not valid JSON.' }] } };
  }
  if (typeof body.query !== 'string') return { status: 400, body: { errors: [{ message: 'No query was sent.' }] } };
  const auth = await viewerFromAuthorization(req.headers.authorization, tokenRulesOf(config));
  if (auth.viewer?.role !== 'admin') {
    return { status: 401, body: { errors: [{ message: auth.error?.message ?? 'This peer variant serves admins only.' }] } };
  }
  const document = prepare(body.query);
  if (!('kind' in document)) return { status: 400, body: { errors: document } };
  const result = await execute({
    schema,
    document,
    contextValue: { viewer: auth.viewer } satisfies Context,
    variableValues: (body.variables ?? undefined) as Record<string, unknown> | undefined,
    operationName: typeof body.operationName === 'string' ? body.operationName : undefined,
  });
  for (const error of result.errors ?? []) logger.warn({ err: error.originalError ?? error }, 'GraphQL error');
  return { status: 200, body: result };
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/bench/stats') {
    sendBenchStats(res, statements);
    return;
  }
  if (req.method !== 'POST' || req.url !== '/graphql') {
    res.writeHead(404).end();
    return;
  }
  handleGraphQL(req).then(
    ({ status, body }) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(`${JSON.stringify(body)}\n`);
    },
    (error: unknown) => {
      logger.error({ err: error }, 'request failed');
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' }).end('{"errors":[{"message":"Internal server error."}]}\n');
    },
  );
});

await serveVariant(server, config.port, () => pool.end());
