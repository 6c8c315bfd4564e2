/**
 * No promise per field: a list resolver that knows what its children select
 * loads it for all of them at once, level by level, before it returns.
 *
 * `prefetchChildren(rows, type, selections, info, context)` reads which
 * fields of `type` the operation selects under `selections` (fragments
 * merged, @skip/@include applied, as execution will), and for each one that
 * has a prefetcher below it loads the values of every row in one batch
 * (`loadMany` on the request's DataLoader, so the SQL is exactly what the
 * child resolvers would have sent, and the fragment cache is used the same
 * way), then does the same for the next level. The child resolvers then find
 * their values loaded (`RequestLoader.peek`) and return them synchronously:
 * on the OneTime event page that is 5,000 `Selection.patient` and 336
 * `Schedule.selections` results without a promise, a closure or a microtask
 * each.
 *
 * A prefetcher only ever loads what its field's resolver loads for the same
 * parent and arguments (the keys are made by the same functions), so the SQL
 * count of a document is the same with and without it.
 *
 * Example (Event.schedules):
 *   const rows = await context.loaders.schedule.byEvent.load(key);
 *   await prefetchChildren(rows, 'Schedule', info.fieldNodes, info, context);
 *   return rows; // Schedule.selections, selectionCount and Selection.patient now peek
 */
import {
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  type FieldNode,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from 'graphql';
import type { GatewayContext } from '../context.js';

/** What a field's children are, for the next level: their rows and type, and where their selections are. */
interface Children {
  readonly rows: readonly object[];
  readonly type: string;
  /** Field nodes whose selection sets select on the children (the field itself, or a connection's nodes). */
  readonly selections: readonly FieldNode[];
}

/**
 * Loads a field's values for every parent row (the same keys its resolver uses); returns the children to
 * descend into, or null for a leaf (a count) or a field whose children nothing below prefetches.
 */
export type Prefetcher = (
  parents: readonly object[],
  args: Record<string, unknown>,
  context: GatewayContext,
  field: readonly FieldNode[],
  info: GraphQLResolveInfo,
) => Promise<Children | null>;

interface Registration {
  readonly prefetcher: Prefetcher;
  /**
   * A sibling field whose load can answer this one too (a page's window count gives the list's count): when
   * both are selected, this prefetcher runs once the sibling's values are loaded, and loads only what is left.
   */
  readonly after?: string;
}

const prefetchers = new Map<string, Registration>();

/** Registers the prefetcher of `Type.field` (each domain module registers its own). */
export function registerPrefetcher(typeAndField: string, prefetcher: Prefetcher, options: { after?: string } = {}): void {
  if (prefetchers.has(typeAndField)) throw new Error(`Prefetcher ${typeAndField} is registered twice.`);
  prefetchers.set(typeAndField, { prefetcher, ...options });
}

/** Whether @skip/@include keep this node, with the request's variables (graphql-js shouldIncludeNode). */
function included(node: { directives?: FieldNode['directives'] }, variables: GraphQLResolveInfo['variableValues']): boolean {
  if (!node.directives || node.directives.length === 0) return true;
  if (getDirectiveValues(GraphQLSkipDirective, node as FieldNode, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node as FieldNode, variables)?.if !== false;
}

/** The fields selected on `type` under these nodes' selection sets, by response key (graphql-js collectFields). */
export function selectedFields(
  nodes: readonly FieldNode[],
  type: GraphQLObjectType,
  info: GraphQLResolveInfo,
): Map<string, FieldNode[]> {
  const fields = new Map<string, FieldNode[]>();
  const visited = new Set<string>();
  const collect = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (!included(selection, info.variableValues)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const list = fields.get(key);
        if (list) list.push(selection);
        else fields.set(key, [selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition?.name.value;
        if (!condition || condition === type.name || type.getInterfaces().some((iface) => iface.name === condition)) collect(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = info.fragments[name];
        if (!fragment || visited.has(name)) continue;
        visited.add(name);
        const condition = fragment.typeCondition.name.value;
        if (condition === type.name || type.getInterfaces().some((iface) => iface.name === condition)) collect(fragment.selectionSet);
      }
    }
  };
  for (const node of nodes) if (node.selectionSet) collect(node.selectionSet);
  return fields;
}

/** The field nodes that select on a connection's nodes: `nodes { … }` and `edges { node { … } }`. */
export function connectionNodeSelections(connection: readonly FieldNode[], type: GraphQLObjectType, info: GraphQLResolveInfo): FieldNode[] {
  const fields = selectedFields(connection, type, info);
  const nodes: FieldNode[] = [];
  for (const [, group] of fields) {
    const name = group[0]!.name.value;
    if (name === 'nodes') nodes.push(...group);
    if (name === 'edges') {
      const edgeType = info.schema.getType(`${type.name.replace(/Connection$/, 'Edge')}`) as GraphQLObjectType | undefined;
      if (!edgeType) continue;
      for (const [, edgeFields] of selectedFields(group, edgeType, info)) if (edgeFields[0]!.name.value === 'node') nodes.push(...edgeFields);
    }
  }
  return nodes;
}

/**
 * Loads, for every row of `type`, each selected field that has a prefetcher, and then their children's,
 * level by level (see the module comment). Failures are left to the resolvers: a prefetch that fails
 * leaves nothing loaded, and the resolver's own load reports the error where it belongs.
 */
export async function prefetchChildren(
  rows: readonly object[],
  typeName: string,
  selections: readonly FieldNode[],
  info: GraphQLResolveInfo,
  context: GatewayContext,
): Promise<void> {
  if (rows.length === 0 || selections.length === 0) return;
  const type = info.schema.getType(typeName) as GraphQLObjectType | undefined;
  if (!type) return;
  const fields = selectedFields(selections, type, info);
  const selectedNames = new Set([...fields.values()].map((nodes) => nodes[0]!.name.value));
  // Each field's own load (not its children's): a prefetcher registered `after` a selected sibling waits for it.
  const loads = new Map<string, Promise<Children | null>>();
  const levels: Promise<void>[] = [];
  const start = (nodes: FieldNode[]) => {
    const name = nodes[0]!.name.value;
    const registration = prefetchers.get(`${typeName}.${name}`);
    const definition = type.getFields()[name];
    if (!registration || !definition || loads.has(name)) return;
    const first = registration.after !== undefined && selectedNames.has(registration.after) ? loads.get(registration.after) : undefined;
    const load = (async () => {
      if (first) await first.catch(() => undefined);
      const args = getArgumentValues(definition, nodes[0]!, info.variableValues);
      return registration.prefetcher(rows, args, context, nodes, info);
    })();
    loads.set(name, load);
    levels.push(
      load
        .then((children) => (children ? prefetchChildren(children.rows, children.type, children.selections, info, context) : undefined))
        .catch(() => undefined),
    );
  };
  // The fields others wait for start first, so their loads exist when the waiting ones look for them.
  const ordered = [...fields.values()].sort(
    (a, b) => Number(prefetchers.get(`${typeName}.${a[0]!.name.value}`)?.after !== undefined) - Number(prefetchers.get(`${typeName}.${b[0]!.name.value}`)?.after !== undefined),
  );
  for (const nodes of ordered) start(nodes);
  await Promise.all(levels);
}

/** `prefetchChildren` for the rows of a connection field being resolved (its `nodes` and `edges.node` selections). */
export function prefetchConnectionNodes(rows: readonly object[], nodeType: string, info: GraphQLResolveInfo, context: GatewayContext): Promise<void> {
  const connection = getNamedType(info.returnType) as GraphQLObjectType;
  return prefetchChildren(rows, nodeType, connectionNodeSelections(info.fieldNodes, connection, info), info, context);
}
