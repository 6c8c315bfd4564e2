/**
 * The schema: the SDL of every domain from schema/*.graphql (the schema-first
 * source of truth), with the domain modules' resolvers attached.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import path from 'node:path';
import { PROJECT_ROOT } from './paths.js';

export const SCHEMA_FOLDER = path.join(PROJECT_ROOT, 'schema');

export function loadTypeDefs(): string[] {
  return readdirSync(SCHEMA_FOLDER)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(path.join(SCHEMA_FOLDER, file), 'utf8'));
}

/** The executable schema: SDL plus resolvers (src/modules/resolvers.ts). */
export function buildSchema(resolvers: object): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: resolvers as never });
}
