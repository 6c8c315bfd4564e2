/**
 * Scalars of the SDL, from graphql-scalars. Date is narrowed to travel as the
 * `YYYY-MM-DD` string MySQL stores (graphql-scalars would hand resolvers a JS
 * Date at UTC midnight); LocalTime drops `:00` seconds so a slot created as
 * `09:30` reads back as `09:30`.
 *
 * An invalid literal (`time: "25:00"`, `email: "not an address"`) is refused
 * with a plain TypeError, never the GraphQLError graphql-scalars throws:
 * graphql-js would report that one as it stands ("Value is not a valid
 * LocalTime"), a document validation failure (400), where the contract wants
 * BAD_USER_INPUT (200) for every invalid scalar. A TypeError becomes
 * `Expected value of type "LocalTime!", found "25:00"; ...`, which
 * src/plugins/errors.ts reports as BAD_USER_INPUT.
 */
import { GraphQLScalarType, type GraphQLScalarLiteralParser, type ValueNode } from 'graphql';
import { DateResolver, DateTimeResolver, EmailAddressResolver, LocalTimeResolver } from 'graphql-scalars';
import { isoOf } from '../db/sql.js';

/** `parseLiteral` whose failures are TypeErrors with the same message (see above). */
function literalErrorsAsTypeErrors(parseLiteral: GraphQLScalarLiteralParser<unknown>): GraphQLScalarLiteralParser<unknown> {
  return (ast, variables) => {
    try {
      return parseLiteral(ast, variables);
    } catch (error) {
      throw new TypeError(error instanceof Error ? error.message : String(error), { cause: error });
    }
  };
}

/** The same scalar, with invalid literals refused as BAD_USER_INPUT (see above). */
function withInvalidLiteralsAsUserInput(scalar: GraphQLScalarType): GraphQLScalarType {
  const config = scalar.toConfig();
  return new GraphQLScalarType({ ...config, parseLiteral: literalErrorsAsTypeErrors(config.parseLiteral) });
}

const toDateString = (value: unknown): string => (value as Date).toISOString().slice(0, 10);

export const DateScalar = new GraphQLScalarType({
  ...DateResolver.toConfig(),
  parseValue: (value: unknown) => toDateString(DateResolver.parseValue(value)),
  parseLiteral: literalErrorsAsTypeErrors((ast: ValueNode, variables?: Record<string, unknown> | null) =>
    toDateString(DateResolver.parseLiteral(ast, variables)),
  ),
});

export const LocalTimeScalar = withInvalidLiteralsAsUserInput(
  new GraphQLScalarType({
    ...LocalTimeResolver.toConfig(),
    serialize: (value: unknown) => {
      const time = LocalTimeResolver.serialize(value) as string;
      return time.length === 8 && time.endsWith(':00') ? time.slice(0, 5) : time;
    },
  }),
);

/**
 * DateTime: rows carry timestamps as MySQL's text (`YYYY-MM-DD HH:MM:SS.mmm`, UTC: src/db/sql.ts), turned into
 * ISO-8601 here, only for the fields a response selects; anything else (a Date) goes through graphql-scalars.
 */
export const DateTimeScalar = withInvalidLiteralsAsUserInput(
  new GraphQLScalarType({
    ...DateTimeResolver.toConfig(),
    serialize: (value: unknown) =>
      typeof value === 'string' && value.length === 23 && value.charCodeAt(10) === 32 ? isoOf(value) : DateTimeResolver.serialize(value),
  }),
);

export const scalarResolvers = {
  Date: DateScalar,
  DateTime: DateTimeScalar,
  LocalTime: LocalTimeScalar,
  EmailAddress: withInvalidLiteralsAsUserInput(EmailAddressResolver),
};
