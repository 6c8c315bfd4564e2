/**
 * Scalars of the SDL, from graphql-scalars. Date is narrowed to travel as the
 * `YYYY-MM-DD` string MySQL stores (graphql-scalars would hand resolvers a JS
 * Date at UTC midnight); LocalTime drops `:00` seconds so a slot created as
 * `09:30` reads back as `09:30`.
 */
import { GraphQLScalarType, type ValueNode } from 'graphql';
import { DateResolver, DateTimeResolver, EmailAddressResolver, LocalTimeResolver } from 'graphql-scalars';

const toDateString = (value: unknown): string => (value as Date).toISOString().slice(0, 10);

export const DateScalar = new GraphQLScalarType({
  ...DateResolver.toConfig(),
  parseValue: (value: unknown) => toDateString(DateResolver.parseValue(value)),
  parseLiteral: (ast: ValueNode, variables?: Record<string, unknown> | null) =>
    toDateString(DateResolver.parseLiteral(ast, variables)),
});

export const LocalTimeScalar = new GraphQLScalarType({
  ...LocalTimeResolver.toConfig(),
  serialize: (value: unknown) => {
    const time = LocalTimeResolver.serialize(value) as string;
    return time.length === 8 && time.endsWith(':00') ? time.slice(0, 5) : time;
  },
});

export const scalarResolvers = {
  Date: DateScalar,
  DateTime: DateTimeResolver,
  LocalTime: LocalTimeScalar,
  EmailAddress: EmailAddressResolver,
};
