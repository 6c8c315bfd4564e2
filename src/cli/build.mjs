#!/usr/bin/env node
/**
 * `npm run build`: the production build. Bundles the server (src/main.ts and
 * everything it imports from the project) into dist/main.js with esbuild:
 * plain ESM JavaScript for `node dist/main.js`, with the npm packages left as
 * imports. Production runs it instead of TypeScript through tsx: nothing is
 * transpiled at start, and no source map is applied to every error's stack.
 *
 *   npm run build        # dist/main.js
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { BUNDLE_OPTIONS } from './bundle-options.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

await build({ ...BUNDLE_OPTIONS, absWorkingDir: root, entryPoints: ['src/main.ts'], outfile: 'dist/main.js' });
process.stdout.write('build: dist/main.js\n');
