/**
 * Static analysis of one operation before it runs: its cost under the GraphQL
 * Cost Directives specification (the rules Apollo Router's demand control
 * implements), its depth, alias and directive counts, and an estimate of the
 * SQL round trips it will take.
 *
 * Cost rules:
 * - An object (or interface/union) typed field costs its type's weight, 1 by
 *   default; scalars and enums cost 0. `@cost(weight:)` on the field, its type
 *   or an argument that is given overrides/adds.
 * - A list field costs its size times (type weight + children). The size is
 *   the value of its `@listSize` slicing argument (or that argument's default;
 *   a list-valued slicing argument counts its items), else `assumedSize`.
 * - A connection (`@listSize(sizedFields: ["edges", "nodes"])`) costs 1 and
 *   passes its size to its sized fields.
 * - On an abstract type, each possible type's selections are costed and the
 *   most expensive one counts.
 * - `@skip`/`@include` are evaluated with the request's variables; fragments
 *   and inline fragments are expanded (a fragment cycle counts once: the
 *   validator refuses it anyway). Introspection fields cost 0.
 *
 * Depth (the contract's): a root field is at depth 1 and each nested
 * selection set adds one, so `{ patient(id: 1) { records { nodes { id } } } }`
 * has depth 3. An introspection root field (`__schema`, `__type`) counts as
 * one level whatever it nests: clients' standard introspection query is deeper
 * than any sensible MAX_DEPTH, and what makes introspection expensive (nested
 * `fields`/`interfaces`/`possibleTypes`) is refused by graphql-js's
 * MaxIntrospectionDepthRule, which Apollo Server runs in validation.
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
  /** Estimated SQL round trips: one per loading field level, per 1,000-key chunk of its batch. */
  readonly roundTrips: number;
  /**
   * The response's cache policy from the SDL's @cacheControl hints, by Apollo's rules (see
   * cachePolicy below); null when not cacheable. Computed here, once per operation, instead
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

/** Loader batches hold at most this many keys (DB_IN_CHUNK_SIZE's default). */
const CHUNK = 1000;

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

function listSizeOf(field: GraphQLField<unknown, unknown>): ListSize | null {
  const values = directiveArgument(field.astNode, 'listSize');
  if (!values) return null;
  const strings = (name: string) => {
    const value = values.get(name);
    return value?.kind === Kind.LIST ? value.values.flatMap((item) => (item.kind === Kind.STRING ? [item.value] : [])) : [];
  };
  const assumed = values.get('assumedSize');
  return {
    assumedSize: assumed?.kind === Kind.INT ? Number(assumed.value) : null,
    slicingArguments: strings('slicingArguments'),
    sizedFields: strings('sizedFields'),
  };
}

/** Whether @skip/@include leave this selection in, with the request's variables. */
function included(node: FieldNode | { readonly directives?: FieldNode['directives'] }, variables: Variables): boolean {
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
  // Variables with their declared defaults, as execution will see them.
  const variables: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    variables[name] = rawVariables[name] ?? (definition.defaultValue ? valueFromASTUntyped(definition.defaultValue) : undefined);
  }

  const argumentValue = (field: FieldNode, name: string, definition: GraphQLField<unknown, unknown>): unknown => {
    const node = field.arguments?.find((argument) => argument.name.value === name)?.value;
    if (node?.kind === Kind.VARIABLE) return variables[node.name.value] ?? definition.args.find((arg) => arg.name === name)?.defaultValue;
    if (node) {
      if (node.kind === Kind.INT) return Number(node.value);
      if (node.kind === Kind.LIST) return node.values;
      return valueFromASTUntyped(node, variables);
    }
    return definition.args.find((arg) => arg.name === name)?.defaultValue;
  };

  const sizeOf = (field: FieldNode, definition: GraphQLField<unknown, unknown>, listSize: ListSize | null): number => {
    if (listSize) {
      for (const name of listSize.slicingArguments) {
        const value = argumentValue(field, name, definition);
        if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, value);
        if (Array.isArray(value)) return value.length;
      }
      if (listSize.assumedSize !== null) return listSize.assumedSize;
    }
    return 1;
  };

  const typeWeight = (type: GraphQLNamedType): number => weightOf(type.astNode) ?? (isCompositeType(type) ? 1 : 0);

  /** Fields of `selectionSet` that apply to the object type `target`, fragments expanded (each fragment once per path). */
  const fieldsFor = (selectionSet: SelectionSetNode, target: GraphQLObjectType, seen: ReadonlySet<string>): FieldNode[] => {
    const fields: FieldNode[] = [];
    for (const selection of selectionSet.selections) {
      if (!included(selection, variables)) continue;
      if (selection.kind === Kind.FIELD) {
        fields.push(selection);
        continue;
      }
      const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
      if (!fragment) continue;
      if (selection.kind === Kind.FRAGMENT_SPREAD && seen.has(selection.name.value)) continue;
      const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : target;
      const applies =
        condition === target || (condition && isAbstractType(condition) && schema.isSubType(condition as GraphQLAbstractType, target));
      if (!applies) continue;
      const inner = selection.kind === Kind.FRAGMENT_SPREAD ? new Set([...seen, selection.name.value]) : seen;
      fields.push(...fieldsFor(fragment.selectionSet, target, inner));
    }
    return fields;
  };

  interface Measure {
    cost: number;
    roundTrips: number;
  }

  /** Cost and round trips of a selection set on `parent`, `multiplicity` parents at once, `sized` fields getting `size`. */
  const measureSet = (
    selectionSet: SelectionSetNode,
    parent: GraphQLCompositeType,
    multiplicity: number,
    seen: ReadonlySet<string>,
    sized: { readonly names: readonly string[]; readonly size: number } | null,
  ): Measure => {
    const targets: readonly GraphQLObjectType[] = isObjectType(parent) ? [parent] : schema.getPossibleTypes(parent);
    let worst: Measure = { cost: 0, roundTrips: 0 };
    for (const target of targets) {
      const total: Measure = { cost: 0, roundTrips: 0 };
      for (const field of fieldsFor(selectionSet, target, seen)) {
        const measured = measureField(field, target, multiplicity, seen, sized);
        total.cost += measured.cost;
        total.roundTrips += measured.roundTrips;
      }
      if (total.cost > worst.cost || (total.cost === worst.cost && total.roundTrips > worst.roundTrips)) worst = total;
    }
    return worst;
  };

  // The cache policy, as Apollo's cacheControl plugin would compute it field by field (defaultMaxAge 0):
  // a field takes its type's hint (composite types), then its own (or inherits its parent's maxAge);
  // a root field or a composite-typed field left without maxAge makes the response uncacheable.
  // Every possible type of an abstract field counts, so the result is never looser than Apollo's.
  const root = schema.getRootType(operation.operation);
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

  const measureField = (
    field: FieldNode,
    parent: GraphQLObjectType,
    multiplicity: number,
    seen: ReadonlySet<string>,
    sized: { readonly names: readonly string[]; readonly size: number } | null,
  ): Measure => {
    const name = field.name.value;
    if (name.startsWith('__')) {
      // Introspection at the root has no hint: not cacheable. __typename is never resolved by a resolver.
      if (name !== '__typename' && parent === root) restrictPolicy(0, undefined);
      return { cost: 0, roundTrips: 0 };
    }
    const definition = parent.getFields()[name];
    if (!definition) return { cost: 0, roundTrips: 0 };
    const named = getNamedType(definition.type);
    applyFieldPolicy(definition, named, parent === root);
    const listSize = listSizeOf(definition);
    const isList = isListType(getNullableType(definition.type));
    const size = sized?.names.includes(name) ? sized.size : isList ? sizeOf(field, definition, listSize) : 1;
    const argumentCost = definition.args.reduce(
      (sum, argument) =>
        sum + (field.arguments?.some((given) => given.name.value === argument.name) ? (weightOf(argument.astNode) ?? 0) : 0),
      0,
    );
    const own = weightOf(definition.astNode) ?? typeWeight(named);
    const count = multiplicity * (isList || sized?.names.includes(name) ? size : 1);
    // A field loads (one batched statement per level, per chunk) if it returns a Node, a connection or a count.
    const loads =
      !parent.name.endsWith('Connection') && !parent.name.endsWith('Edge')
        ? (isObjectType(named) && named.getInterfaces().some((iface) => iface.name === 'Node')) ||
          named.name.endsWith('Connection') ||
          (isAbstractType(named) && named.name === 'Node') ||
          /Count$/.test(name)
        : name === 'totalCount';
    const roundTrips = loads ? Math.max(1, Math.ceil(multiplicity / CHUNK)) : 0;
    if (!field.selectionSet || !isCompositeType(named)) {
      return { cost: (isList ? size : 1) * own + argumentCost, roundTrips };
    }
    const connection = listSize && listSize.sizedFields.length > 0 ? { names: listSize.sizedFields, size: sizeOf(field, definition, listSize) } : null;
    const children = measureSet(field.selectionSet, named, connection ? multiplicity : count, seen, connection);
    const factor = isList || sized?.names.includes(name) ? size : 1;
    return { cost: factor * (own + children.cost) + argumentCost, roundTrips: roundTrips + children.roundTrips };
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
  const measured = root ? measureSet(operation.selectionSet, root, 1, new Set(), null) : { cost: 0, roundTrips: 0 };
  const cachePolicy = policyMaxAge === undefined || policyMaxAge === 0 ? null : { maxAge: policyMaxAge, scope: policyScope };
  return { cost: measured.cost, depth, aliases: shape.aliases, directives, roundTrips: measured.roundTrips, cachePolicy };
}
