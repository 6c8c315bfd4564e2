/**
 * The esbuild options every compiled bundle of the project shares: the
 * production build (src/cli/build.mjs) and the bench's variants and profiles
 * (bench/run.ts, bench/profile.ts), so what the bench measures is built as
 * production runs it. Plain ESM JavaScript for Node 20; npm packages stay
 * imports (callers that relocate the bundle pass their own plugin instead).
 *
 * Example:
 *   await build({ ...BUNDLE_OPTIONS, absWorkingDir: root, entryPoints: ['src/main.ts'], outfile: 'dist/main.js' });
 */
export const BUNDLE_OPTIONS = Object.freeze({
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
