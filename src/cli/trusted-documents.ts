/**
 * The trusted-documents build step, run by `npm run codegen` after GraphQL
 * Code Generator: takes the manifest the client preset wrote next to the
 * typed SDK, refuses the build when a document is invalid against schema/ or
 * its cost (src/limits/analysis.ts, at its variables' defaults) is over
 * MAX_COST, and writes `<operations>/persisted-documents.json` in the
 * contract's format: `{ "<lowercase hex sha256 of the text>": "<text>" }`.
 * A document over the limit fails here, at build time, instead of in
 * production where every request for it would be refused.
 *
 *   npm run codegen                                  # generate, check, write
 *   tsx src/cli/trusted-documents.ts --check         # fail when the committed manifest is stale
 *   OPERATIONS_DIR=../web/operations npm run codegen # another operations folder (SDK in <dir>/__generated__/)
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildSchema, Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { loadConfig } from '../config.js';
import { analyzeOperation } from '../limits/analysis.js';
import { loadTypeDefs } from '../schema.js';
import { operationsLocation, sha256Hex } from '../persisted/manifest.js';

interface Row {
  readonly name: string;
  readonly hash: string;
  readonly cost: number;
  readonly depth: number;
}

function fail(message: string): never {
  process.stderr.write(`trusted-documents: ${message}\n`);
  process.exit(1);
}

function main(): void {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } }, strict: true });
  const config = loadConfig();
  const { manifestPath, clientSdkDir } = operationsLocation(process.env);
  const generatedPath = path.join(clientSdkDir, 'persisted-documents.json');
  if (!existsSync(generatedPath)) fail(`${generatedPath} is missing; run \`npm run codegen\` first.`);
  const generated = JSON.parse(readFileSync(generatedPath, 'utf8')) as Record<string, string>;
  const schema = buildSchema(loadTypeDefs().join('\n'));

  const manifest: Record<string, string> = {};
  const rows: Row[] = [];
  const problems: string[] = [];
  for (const text of Object.values(generated)) {
    const hash = sha256Hex(text);
    const document = parse(text);
    const operation = document.definitions.find((node): node is OperationDefinitionNode => node.kind === Kind.OPERATION_DEFINITION);
    const name = operation?.name?.value ?? '(anonymous)';
    const errors = validate(schema, document);
    if (errors.length > 0 || !operation) {
      problems.push(`${name} is not valid against schema/: ${errors.map((error) => error.message).join('; ')}`);
      continue;
    }
    const { cost, depth } = analyzeOperation(schema, document, operation, {});
    if (cost > config.maxCost) problems.push(`${name} costs ${cost}, over MAX_COST ${config.maxCost}; ask for fewer items (first:) or split it.`);
    if (depth > config.maxDepth) problems.push(`${name} has depth ${depth}, over MAX_DEPTH ${config.maxDepth}.`);
    manifest[hash] = text;
    rows.push({ name, hash, cost, depth });
  }
  if (problems.length > 0) fail(`${problems.length} document(s) refused:\n  - ${problems.join('\n  - ')}`);

  const output = `${JSON.stringify(manifest, Object.keys(manifest).sort(), 2)}\n`;
  if (values.check) {
    const committed = existsSync(manifestPath) ? readFileSync(manifestPath, 'utf8') : '';
    if (committed !== output) fail(`${manifestPath} is stale; run \`npm run codegen\` and commit it.`);
    return;
  }
  writeFileSync(manifestPath, output);
  const width = Math.max(...rows.map((row) => row.name.length));
  process.stdout.write(
    `trusted-documents: ${rows.length} documents, cost at their variables' defaults (MAX_COST ${config.maxCost}) -> ${manifestPath}\n` +
      rows
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((row) => `  ${row.name.padEnd(width)}  cost ${String(row.cost).padStart(5)}  depth ${row.depth}  ${row.hash.slice(0, 12)}…`)
        .join('\n') +
      '\n',
  );
}

main();
