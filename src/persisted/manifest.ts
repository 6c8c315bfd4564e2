/**
 * Where the client operations live and how the gateway reads them: the
 * trusted-documents manifest (`operations/persisted-documents.json`, written
 * by `npm run codegen`) and the example operations GraphiQL opens as tabs.
 * Shared by codegen.ts, the build step (src/cli/trusted-documents.ts) and the
 * server, so all three agree on the paths.
 *
 * Example:
 *   const manifest = loadManifest(operationsLocation(process.env).manifestPath);
 *   manifest.get('3703614…')  // 'query PatientList($after: String, …) { … }'
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../paths.js';

const ROOT = PROJECT_ROOT;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface OperationsLocation {
  /** The folder of `.graphql` operations (OPERATIONS_DIR, default `operations/`). */
  readonly operationsDir: string;
  /** `<operationsDir>/persisted-documents.json`. */
  readonly manifestPath: string;
  /** Where codegen's client preset writes the typed SDK: `src/__generated__/client/`, or `<operationsDir>/__generated__/` for another folder. */
  readonly clientSdkDir: string;
}

export function operationsLocation(env: NodeJS.ProcessEnv): OperationsLocation {
  const custom = env.OPERATIONS_DIR !== undefined && env.OPERATIONS_DIR !== '';
  const operationsDir = custom ? path.resolve(String(env.OPERATIONS_DIR)) : path.join(ROOT, 'operations');
  return {
    operationsDir,
    manifestPath: path.join(operationsDir, 'persisted-documents.json'),
    clientSdkDir: custom ? path.join(operationsDir, '__generated__') : path.join(ROOT, 'src', '__generated__', 'client'),
  };
}

/**
 * Reads a manifest: hash (lowercase hex sha256 of the text) to document text.
 * Throws, naming the file, when it is missing or an entry's hash does not
 * match its text, so a hand-edited manifest cannot smuggle in a document.
 */
export function loadManifest(manifestPath: string): ReadonlyMap<string, string> {
  if (!existsSync(manifestPath)) {
    throw new Error(`The trusted-documents manifest ${manifestPath} is missing; run \`npm run codegen\`.`);
  }
  const parsed = JSON.parse(readFileSync(manifestPath, 'utf8')) as unknown;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${manifestPath} must be an object mapping sha256 hashes to documents.`);
  }
  const manifest = new Map<string, string>();
  for (const [hash, text] of Object.entries(parsed)) {
    if (!SHA256_HEX.test(hash) || typeof text !== 'string' || sha256Hex(text) !== hash) {
      throw new Error(`${manifestPath}: entry "${hash.slice(0, 16)}…" is not the sha256 of its document; run \`npm run codegen\`.`);
    }
    manifest.set(hash, text);
  }
  return manifest;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const hasQuery = (text: string) => /^\s*query\b/m.test(text);

/** The operations folder's `.graphql` files, queries first, as GraphiQL example tabs. */
export function exampleOperations(operationsDir: string): { title: string; query: string }[] {
  if (!existsSync(operationsDir)) return [];
  return readdirSync(operationsDir)
    .filter((file) => file.endsWith('.graphql'))
    .map((file) => ({ title: file.replace(/\.graphql$/, ''), query: readFileSync(path.join(operationsDir, file), 'utf8') }))
    .sort((a, b) => Number(!hasQuery(a.query)) - Number(!hasQuery(b.query)) || a.title.localeCompare(b.title));
}
