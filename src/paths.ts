/**
 * Where the project's files are: the root is the nearest folder above this
 * module that holds the project's package.json, which is the same whether the
 * code runs from src/ (tsx), from the compiled bundle in dist/, or from a
 * package installed in node_modules.
 *
 * Example:
 *   path.join(PROJECT_ROOT, 'schema') // /srv/gateway/schema
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'clinic-graphql-gateway';

function findRoot(from: string): string {
  for (let folder = path.dirname(from); ; folder = path.dirname(folder)) {
    const manifest = path.join(folder, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return folder;
    if (path.dirname(folder) === folder) throw new Error(`No package.json of ${PACKAGE_NAME} above ${from}.`);
  }
}

export const PROJECT_ROOT = findRoot(fileURLToPath(import.meta.url));
