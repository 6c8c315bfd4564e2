/** Loads the SDL of every domain from schema/*.graphql (the schema-first source of truth). */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const SCHEMA_FOLDER = fileURLToPath(new URL('../schema', import.meta.url));

export function loadTypeDefs(): string[] {
  return readdirSync(SCHEMA_FOLDER)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(path.join(SCHEMA_FOLDER, file), 'utf8'));
}
