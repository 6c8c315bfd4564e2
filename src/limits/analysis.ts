/**
 * Static analysis of one operation before it runs: its cost under the GraphQL
 * Cost Directives specification (the rules Apollo Router's demand control
 * implements), its depth, alias and directive counts, an estimate of the SQL
 * round trips it will take, and its cache policy.
 *
 * Cost rules:
 * - An object (or interface/union) typed field costs its type's weight, 1 by
 *   default; scalars and enums cost 0. `@cost(weight:)` on the field, its type
 *   or an argument that is given overrides/adds.
 * - A list field costs its size times (type weight + children). The size is
 *   the value of its `@listSize` slicing argument (or that argument's default;
 *   a list-valued slicing argument counts its items), else `assumedSize`.
 *   An explicit `null` (a literal, or a variable sent as null even over a
 *   default) is costed as the argument's default, which is the size the
 *   resolver uses (src/relay/connection.ts pageSize): a null can never make
 *   the estimate smaller than the answer.
 * - A connection (`@listSize(sizedFields: ["edges", "nodes"])`) costs 1 and
 *   passes its size to its sized fields.
 * - On an abstract type, each possible type's selections are costed and the
 *   most expensive one counts.
 * - Write volume: on a mutation field, every element of a list argument or of
 *   a list field of an input object (`slots`, `scheduleIds`, `ids`) costs 1.
 * - Fields are merged by response key the way execution merges them
 *   (graphql-js collectFields): `{ ...F ...F }` runs F's fields once and is
 *   costed once. `@skip`/`@include` are evaluated with the request's
 *   variables. Introspection fields cost 0.
 *
 * Linear time: each fragment's fields are collected once per type (memoized),
 * and each merged field is measured once per (type, size) context, so a
 * fragment that spreads the previous one three times, 18 levels deep, costs
 * what its 1 KB of text costs, not 3^18 walks. Round trips are counted per
 * loading level (each 1,000-key chunk of a batch adds one at run time).
 *
 * Depth (the contract's): a root field is at depth 1 and each nested
 * selection set adds one, so `{ patient(id: 1) { records { nodes { id } } } }`
 * has depth 3. An introspection root field (`__schema`, `__type`) counts as
 * one level whatever it nests: clients' standard introspection query is deeper
 * than any sensible MAX_DEPTH, and what makes introspection expensive (nested
 * `fields`/`interfaces`/`possibleTypes`) is refused by graphql-js's
 * MaxIntrospectionDepthRule, which Apollo Server runs in validation. Aliases
 * are counted with fragments expanded (each spread counts its fragment's).
 *
 * Example (the contract's OneTime event page):
 *   analyzeOperation(schema, parse('{ event(id: "x") { schedules { date selections { patient { name } } } } }'), null, {})
 *   // { cost: 4101, depth: 4, aliases: 0, directives: 0, roundTrips: 4 }
 */
import {
  Kind,
  valueFromASTUntyped,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLAbstractType,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type GraphQLType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

export interface OperationAnalysis {
  readonly cost: number;
  readonly depth: number;
  readonly aliases: number;
  readonly directives: number;
  /** Estimated SQL round trips: one per loading field level. */
  readonly roundTrips: number;
  /**
   * The response's cache policy from the SDL's @cacheControl hints, by Apollo's rules (see
   * applyFieldPolicy below); null when not cacheable. Computed here, once per operation, instead
   * of by a hook on every resolved field.
   */
  readonly cachePolicy: CachePolicy | null;
}

export interface CachePolicy {
  readonly maxAge: number;
  readonly scope: 'PUBLIC' | 'PRIVATE';
}

interface CacheHint {
  readonly maxAge?: number;
  readonly scope?: 'PUBLIC' | 'PRIVATE';
  readonly inheritMaxAge?: boolean;
}

function cacheHintOf(node: Parameters<typeof directiveArgument>[0]): CacheHint | null {
  const values = directiveArgument(node, 'cacheControl');
  if (!values) return null;
  const maxAge = values.get('maxAge');
  const scope = values.get('scope');
  const inherit = values.get('inheritMaxAge');
  return {
    ...(maxAge?.kind === Kind.INT ? { maxAge: Number(maxAge.value) } : {}),
    ...(scope?.kind === Kind.ENUM && (scope.value === 'PUBLIC' || scope.value === 'PRIVATE') ? { scope: scope.value } : {}),
    ...(inherit?.kind === Kind.BOOLEAN && inherit.value ? { inheritMaxAge: true } : {}),
  };
}

const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

// Type tests by Symbol.toStringTag, not instanceof: the schema may come from another copy (realm) of graphql-js
// than this module's (Apollo's ESM build next to a test runner's), and graphql's own predicates refuse that.
const tagOf = (type: unknown) => Object.prototype.toString.call(type).slice(8, -1);
const isListType = (type: GraphQLType) => tagOf(type) === 'GraphQLList';
const isObjectType = (type: unknown): type is GraphQLObjectType => tagOf(type) === 'GraphQLObjectType';
const isInputObjectType = (type: unknown) => tagOf(type) === 'GraphQLInputObjectType';
const isAbstractType = (type: unknown): type is GraphQLCompositeType =>
  tagOf(type) === 'GraphQLInterfaceType' || tagOf(type) === 'GraphQLUnionType';
const isCompositeType = (type: unknown): type is GraphQLCompositeType => isObjectType(type) || isAbstractType(type);
const getNullableType = (type: GraphQLType): GraphQLType =>
  tagOf(type) === 'GraphQLNonNull' ? (type as { ofType: GraphQLType }).ofType : type;
function getNamedType(type: GraphQLType): GraphQLNamedType {
  let inner = type;
  while ('ofType' in inner) inner = inner.ofType as GraphQLType;
  return inner;
}

interface ListSize {
  readonly assumedSize: number | null;
  readonly slicingArguments: readonly string[];
  readonly sizedFields: readonly string[];
}

type Variables = Readonly<Record<string, unknown>>;

function directiveArgument(
  node: { readonly directives?: readonly { name: { value: string }; arguments?: readonly { name: { value: string }; value: ValueNode }[] }[] } | null | undefined,
  directive: string,
): Map<string, ValueNode> | null {
  const found = node?.directives?.find((candidate) => candidate.name.value === directive);
  if (!found) return null;
  return new Map((found.arguments ?? []).map((argument) => [argument.name.value, argument.value]));
}

function weightOf(node: Parameters<typeof directiveArgument>[0]): number | null {
  const value = directiveArgument(node, 'cost')?.get('weight');
  if (value?.kind !== Kind.STRING) return null;
  const weight = Number(value.value);
  return Number.isFinite(weight) ? weight : null;
}

/** The @listSize of a field definition (read once per field and schema). */
const listSizes = new WeakMap<object, ListSize | null>();
function listSizeOf(field: GraphQLField<unknown, unknown>): ListSize | null {
  if (listSizes.has(field)) return listSizes.get(field)!;
  const values = directiveArgument(field.astNode, 'listSize');
  let listSize: ListSize | null = null;
  if (values) {
    const strings = (name: string) => {
      const value = values.get(name);
      return value?.kind === Kind.LIST ? value.values.flatMap((item) => (item.kind === Kind.STRING ? [item.value] : [])) : [];
    };
    const assumed = values.get('assumedSize');
    listSize = {
      assumedSize: assumed?.kind === Kind.INT ? Number(assumed.value) : null,
      slicingArguments: strings('slicingArguments'),
      sizedFields: strings('sizedFields'),
    };
  }
  listSizes.set(field, listSize);
  return listSize;
}

/** Whether @skip/@include leave this selection in, with the request's variables (graphql-js shouldIncludeNode). */
function included(node: { readonly directives?: FieldNode['directives'] }, variables: Variables): boolean {
  for (const directive of node.directives ?? []) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const condition = directive.arguments?.find((argument) => argument.name.value === 'if')?.value;
    if (!condition) continue;
    const value =
      condition.kind === Kind.VARIABLE ? variables[condition.name.value] : condition.kind === Kind.BOOLEAN ? condition.value : null;
    if (name === 'skip' && value === true) return false;
    if (name === 'include' && value !== true) return false;
  }
  return true;
}

/** Elements of every list in `value` (of input type `type`), nested lists and input objects included. */
function listElements(value: unknown, type: GraphQLInputType): number {
  const nullable = getNullableType(type) as GraphQLInputType;
  if (value === null || value === undefined) return 0;
  if (isListType(nullable)) {
    const itemType = (nullable as unknown as { ofType: GraphQLInputType }).ofType;
    // Input coercion turns a single value into a list of one.
    const items = Array.isArray(value) ? value : [value];
    return items.reduce<number>((sum, item) => sum + listElements(item, itemType), items.length);
  }
  if (isInputObjectType(nullable) && typeof value === 'object') {
    const fields = (nullable as unknown as { getFields(): Record<string, { type: GraphQLInputType }> }).getFields();
    let sum = 0;
    for (const [name, field] of Object.entries(fields)) sum += listElements((value as Record<string, unknown>)[name], field.type);
    return sum;
  }
  return 0;
}

interface Measure {
  readonly cost: number;
  readonly roundTrips: number;
}

const ZERO: Measure = { cost: 0, roundTrips: 0 };

interface Sized {
  readonly names: readonly string[];
  readonly size: number;
}

/** Fields by response key, each key's field nodes deduplicated (the same AST node from two spreads is one). */
type FieldMap = Map<string, FieldNode[]>;

export function analyzeOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: Variables,
): OperationAnalysis {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  // Variables as execution will see them: a value sent (null included) wins over the declared default.
  const variables: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (Object.hasOwn(rawVariables, name)) variables[name] = rawVariables[name];
    else if (definition.defaultValue) variables[name] = valueFromASTUntyped(definition.defaultValue);
  }
  const root = schema.getRootType(operation.operation);
  const mutationRoot = operation.operation === 'mutation' ? root : null;

  /** An argument's value: given (literal or variable, null included), else its default; undefined when neither. */
  const argumentValue = (field: FieldNode, name: string, definition: GraphQLField<unknown, unknown>): unknown => {
    const node = field.arguments?.find((argument) => argument.name.value === name)?.value;
    const fallback = () => definition.args.find((arg) => arg.name === name)?.defaultValue;
    if (!node) return fallback();
    if (node.kind === Kind.VARIABLE) return Object.hasOwn(variables, node.name.value) ? variables[node.name.value] : fallback();
    return valueFromASTUntyped(node, variables);
  };

  const sizeOf = (field: FieldNode, definition: GraphQLField<unknown, unknown>, listSize: ListSize | null): number => {
    if (listSize) {
      for (const name of listSize.slicingArguments) {
        let value = argumentValue(field, name, definition);
        // An explicit null gets the resolver's size for it: the argument's default.
        if (value === null) value = definition.args.find((arg) => arg.name === name)?.defaultValue;
        if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, value);
        if (Array.isArray(value)) return value.length;
      }
      if (listSize.assumedSize !== null) return listSize.assumedSize;
    }
    return 1;
  };

  const typeWeight = (type: GraphQLNamedType): number => weightOf(type.astNode) ?? (isCompositeType(type) ? 1 : 0);

  const applies = (typeCondition: string | undefined, target: GraphQLObjectType): boolean => {
    if (typeCondition === undefined) return true;
    const condition = schema.getType(typeCondition);
    return condition === target || (!!condition && isAbstractType(condition) && schema.isSubType(condition as GraphQLAbstractType, target));
  };

  const merge = (into: FieldMap, from: FieldMap): void => {
    for (const [key, nodes] of from) {
      const existing = into.get(key);
      if (!existing) into.set(key, [...nodes]);
      else for (const node of nodes) if (!existing.includes(node)) existing.push(node);
    }
  };

  // collectFields with memoization: one walk per (selection set, object type), fragments included.
  const collected = new WeakMap<SelectionSetNode, Map<string, FieldMap>>();
  const collecting = new Set<SelectionSetNode>();
  const collectOne = (selectionSet: SelectionSetNode, target: GraphQLObjectType): FieldMap => {
    const byType = collected.get(selectionSet) ?? new Map<string, FieldMap>();
    collected.set(selectionSet, byType);
    const known = byType.get(target.name);
    if (known) return known;
    const fields: FieldMap = new Map();
    // A fragment cycle (validation refuses it anyway) counts once.
    if (collecting.has(selectionSet)) return fields;
    collecting.add(selectionSet);
    for (const selection of selectionSet.selections) {
      if (!included(selection, variables)) continue;
      if (selection.kind === Kind.FIELD) {
        merge(fields, new Map([[selection.alias?.value ?? selection.name.value, [selection]]]));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (applies(selection.typeCondition?.name.value, target)) merge(fields, collectOne(selection.selectionSet, target));
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment && applies(fragment.typeCondition.name.value, target)) merge(fields, collectOne(fragment.selectionSet, target));
      }
    }
    collecting.delete(selectionSet);
    byType.set(target.name, fields);
    return fields;
  };
  const collectAll = (selectionSets: readonly SelectionSetNode[], target: GraphQLObjectType): FieldMap => {
    if (selectionSets.length === 1) return collectOne(selectionSets[0]!, target);
    const fields: FieldMap = new Map();
    for (const selectionSet of selectionSets) merge(fields, collectOne(selectionSet, target));
    return fields;
  };

  // The cache policy, as Apollo's cacheControl plugin would compute it field by field (defaultMaxAge 0):
  // a field takes its type's hint (composite types), then its own (or inherits its parent's maxAge);
  // a root field or a composite-typed field left without maxAge makes the response uncacheable.
  // Every possible type of an abstract field counts, so the result is never looser than Apollo's.
  let policyMaxAge: number | undefined;
  let policyScope: CachePolicy['scope'] = 'PUBLIC';
  const restrictPolicy = (maxAge: number | undefined, scope: CachePolicy['scope'] | undefined) => {
    if (maxAge !== undefined) policyMaxAge = policyMaxAge === undefined ? maxAge : Math.min(policyMaxAge, maxAge);
    if (scope === 'PRIVATE') policyScope = 'PRIVATE';
  };
  const applyFieldPolicy = (definition: GraphQLField<unknown, unknown>, named: GraphQLNamedType, isRoot: boolean) => {
    let maxAge: number | undefined;
    let scope: CachePolicy['scope'] | undefined;
    let inherits = false;
    if (isCompositeType(named)) {
      const typeHint = cacheHintOf(named.astNode);
      maxAge = typeHint?.maxAge;
      scope = typeHint?.scope;
      inherits = typeHint?.inheritMaxAge === true;
    }
    const fieldHint = cacheHintOf(definition.astNode);
    if (fieldHint?.inheritMaxAge && maxAge === undefined) {
      inherits = true;
      scope = fieldHint.scope ?? scope;
    } else if (fieldHint) {
      maxAge = fieldHint.maxAge ?? maxAge;
      scope = fieldHint.scope ?? scope;
    }
    if (maxAge === undefined && ((isCompositeType(named) && !inherits) || isRoot)) maxAge = 0;
    restrictPolicy(maxAge, scope);
  };

  // Measures of merged fields, by their field nodes, parent type and size context: each measured once.
  const nodeIds = new Map<FieldNode, number>();
  const idOf = (node: FieldNode) => {
    let id = nodeIds.get(node);
    if (id === undefined) nodeIds.set(node, (id = nodeIds.size));
    return id;
  };
  const measured = new Map<string, Measure>();

  /** Cost and round trips of the fields of `selectionSets` on `parent`, `sized` fields getting `size`. */
  const measureSets = (selectionSets: readonly SelectionSetNode[], parent: GraphQLCompositeType, sized: Sized | null): Measure => {
    const targets: readonly GraphQLObjectType[] = isObjectType(parent) ? [parent] : schema.getPossibleTypes(parent as GraphQLAbstractType);
    let worst = ZERO;
    for (const target of targets) {
      let cost = 0;
      let roundTrips = 0;
      for (const nodes of collectAll(selectionSets, target).values()) {
        const measure = measureField(nodes, target, sized);
        cost += measure.cost;
        roundTrips += measure.roundTrips;
      }
      if (cost > worst.cost || (cost === worst.cost && roundTrips > worst.roundTrips)) worst = { cost, roundTrips };
    }
    return worst;
  };

  const measureField = (nodes: readonly FieldNode[], parent: GraphQLObjectType, sized: Sized | null): Measure => {
    const field = nodes[0]!;
    const name = field.name.value;
    if (name.startsWith('__')) {
      // Introspection at the root has no hint: not cacheable. __typename is never resolved by a resolver.
      if (name !== '__typename' && parent === root) restrictPolicy(0, undefined);
      return ZERO;
    }
    const definition = parent.getFields()[name];
    if (!definition) return ZERO;
    const key = `${nodes.map(idOf).join(',')}|${parent.name}|${sized && sized.names.includes(name) ? sized.size : ''}`;
    const known = measured.get(key);
    if (known) return known;

    const named = getNamedType(definition.type);
    applyFieldPolicy(definition, named, parent === root);
    const listSize = listSizeOf(definition);
    const isList = isListType(getNullableType(definition.type));
    const isSized = sized?.names.includes(name) ?? false;
    const size = isSized ? sized!.size : isList ? sizeOf(field, definition, listSize) : 1;
    let argumentCost = 0;
    for (const argument of definition.args) {
      if (!field.arguments?.some((given) => given.name.value === argument.name)) continue;
      argumentCost += weightOf(argument.astNode) ?? 0;
      if (parent === mutationRoot) argumentCost += listElements(argumentValue(field, argument.name, definition), argument.type);
    }
    const own = weightOf(definition.astNode) ?? typeWeight(named);
    // A field loads (one batched statement per level) if it returns a Node, a connection or a count.
    const loads =
      !parent.name.endsWith('Connection') && !parent.name.endsWith('Edge')
        ? (isObjectType(named) && named.getInterfaces().some((iface) => iface.name === 'Node')) ||
          named.name.endsWith('Connection') ||
          (isAbstractType(named) && named.name === 'Node') ||
          /Count$/.test(name)
        : name === 'totalCount';
    const roundTrips = loads ? 1 : 0;
    const factor = isList || isSized ? size : 1;
    const selectionSets = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
    let result: Measure;
    if (selectionSets.length === 0 || !isCompositeType(named)) {
      result = { cost: factor * own + argumentCost, roundTrips };
    } else {
      const connection = listSize && listSize.sizedFields.length > 0 ? { names: listSize.sizedFields, size: sizeOf(field, definition, listSize) } : null;
      const children = measureSets(selectionSets, named, connection);
      result = { cost: factor * (own + children.cost) + argumentCost, roundTrips: roundTrips + children.roundTrips };
    }
    measured.set(key, result);
    return result;
  };

  /** Depth and aliases with fragments expanded (memoized per fragment, so nesting cannot blow up). */
  const fragmentShape = new Map<string, { depth: number; aliases: number }>();
  const shapeOf = (selectionSet: SelectionSetNode, seen: ReadonlySet<string>): { depth: number; aliases: number } => {
    let depth = 0;
    let aliases = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) aliases += 1;
        // A field with a selection set is one level deeper than its parent's; leaves add nothing.
        // Introspection counts as one level: the standard introspection query (Sandbox, GraphiQL, codegen)
        // is 11+ levels of ofType, and its real fan-out is bounded by graphql-js's MaxIntrospectionDepthRule.
        const inner =
          selection.selectionSet && !INTROSPECTION_ROOTS.has(selection.name.value)
            ? shapeOf(selection.selectionSet, seen)
            : { depth: -1, aliases: 0 };
        depth = Math.max(depth, 1 + inner.depth);
        aliases += inner.aliases;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const inner = shapeOf(selection.selectionSet, seen);
        depth = Math.max(depth, inner.depth);
        aliases += inner.aliases;
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || seen.has(name)) continue;
        let inner = fragmentShape.get(name);
        if (!inner) {
          inner = shapeOf(fragment.selectionSet, new Set([...seen, name]));
          fragmentShape.set(name, inner);
        }
        depth = Math.max(depth, inner.depth);
        aliases += inner.aliases;
      }
    }
    return { depth, aliases };
  };

  let directives = 0;
  visit(document, {
    Directive() {
      directives += 1;
    },
  });

  const shape = shapeOf(operation.selectionSet, new Set());
  // A root field is at depth 1 even when it is a leaf.
  const depth = operation.selectionSet.selections.length > 0 ? Math.max(1, shape.depth) : 0;
  const total = root ? measureSets([operation.selectionSet], root, null) : ZERO;
  const cachePolicy = policyMaxAge === undefined || policyMaxAge === 0 ? null : { maxAge: policyMaxAge, scope: policyScope };
  return { cost: total.cost, depth, aliases: shape.aliases, directives, roundTrips: total.roundTrips, cachePolicy };
}
