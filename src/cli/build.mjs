#!/usr/bin/env node
/**
 * `npm run build`: the production build and the published packages, into dist/.
 *
 * - dist/main.js: the server (src/main.ts and everything it imports from the
 *   project) bundled by esbuild, for `node dist/main.js`. Production runs it
 *   instead of TypeScript through tsx: nothing is transpiled at start, and no
 *   source map is applied to every error's stack.
 * - dist/client/index.js, dist/client/documents.js, dist/testing/index.js: the
 *   package's entry points (`clinic-graphql-gateway/client`, `/client/documents`,
 *   `/testing` in package.json's `exports`), as plain ESM a `node` without a
 *   TypeScript loader imports.
 * - dist/types/: their declarations, emitted by tsc (tsconfig.build.json).
 *
 * npm packages stay imports everywhere (they are the package's dependencies).
 * `npm pack` runs this first (the `prepack` script).
 *
 *   npm run build        # all of the above
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BUNDLE_OPTIONS } from './bundle-options.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

const BUNDLES = [
  { entry: 'src/main.ts', outfile: 'dist/main.js' },
  { entry: 'src/client/index.ts', outfile: 'dist/client/index.js' },
  { entry: 'src/__generated__/client/graphql.ts', outfile: 'dist/client/documents.js' },
  { entry: 'src/testing/index.ts', outfile: 'dist/testing/index.js' },
];

rmSync(new URL('../../dist', import.meta.url), { recursive: true, force: true });
await Promise.all(
  BUNDLES.map(({ entry, outfile }) => build({ ...BUNDLE_OPTIONS, absWorkingDir: root, entryPoints: [entry], outfile })),
);

// tsc through its own entry (not npx): the same binary the lock file pins, with no shell in between.
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const declarations = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (declarations.status !== 0) {
  process.stderr.write('build: tsc could not emit the declarations (above)\n');
  process.exit(declarations.status ?? 1);
}
process.stdout.write(`build: ${BUNDLES.map(({ outfile }) => outfile).join(', ')}, dist/types/\n`);
