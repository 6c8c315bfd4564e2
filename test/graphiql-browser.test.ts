/**
 * The development GraphiQL page (src/plugins/graphiql.ts) in a real Chromium,
 * against the real gateway on a real socket: the page loads with nothing but
 * the gateway's own origin (no CDN), under its Content-Security-Policy with
 * no violation, the headers editor shows the development token, and an
 * operation typed into the query editor and run with the execute button
 * returns the seeded patients; GraphiQL's first introspection carries the
 * token too. A screenshot goes to test/artifacts/graphiql.png.
 *
 * Chromium: CHROMIUM_PATH, else /usr/bin/chromium or /usr/bin/chromium-browser.
 * Without one the browser test is skipped, except with CI=true, where it fails.
 * The first request builds the page's bundle (esbuild), hence the long timeout.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { gatewayTest } from './support/fixtures-gateway.js';
import { insertPatients } from './support/fixtures.js';

const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const executablePath = process.env.CHROMIUM_PATH || CHROMIUM_CANDIDATES.find((candidate) => existsSync(candidate));
const inCi = process.env.CI === 'true';
const SCREENSHOT = fileURLToPath(new URL('./artifacts/graphiql.png', import.meta.url));
const PATIENTS = ['Ada Lovelace', 'Grace Hopper', 'Katherine Johnson'];
const QUERY = '{ patients(first: 5) { nodes { id name } } }';
const BROWSER_TIMEOUT_MS = 90_000;

/**
 * This file's gateway (its own database), shared by every test and hook here. As in development
 * (`npm run serve`): the gateway serves /graphiql, with an admin development token.
 */
const test = gatewayTest('graphiql', { env: { NODE_ENV: 'development' } });
let origin: string;

test.beforeAll(async ({ gateway }) => {
  await insertPatients(
    gateway.database.pool,
    PATIENTS.map((name) => ({ name })),
  );
  const { port } = await gateway.gateway.listen();
  origin = `http://127.0.0.1:${port}`;
});

describe('GET /graphiql', () => {
  test('serves the page from the gateway itself, uncached, under a Content-Security-Policy', async () => {
    const response = await fetch(`${origin}/graphiql`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    const html = await response.text();
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const script = /<script defer src="([^"]+)"/.exec(html)?.[1];
    expect(script).toMatch(/^\/graphiql\/assets\/app\.[0-9a-f]+\.js$/);
    const asset = await fetch(`${origin}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
  }, BROWSER_TIMEOUT_MS);
});

/** The whole text of a CodeMirror 5 editor (the DOM holds only the lines in view). */
function editorValue(editor: Locator): Promise<string> {
  return editor.evaluate((element) => (element as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
}

describe.skipIf(!executablePath && !inCi)('GraphiQL in Chromium', () => {
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!executablePath) {
      throw new Error(
        `CI=true but no Chromium was found (CHROMIUM_PATH is unset and none of ${CHROMIUM_CANDIDATES.join(', ')} exists); ` +
          'install it with `apt-get install -y chromium` (.ci/run does) or set CHROMIUM_PATH.',
      );
    }
    browser = await chromium.launch({ executablePath, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  test('runs a typed query and shows the seeded patients, with the token pre-filled and nothing loaded from elsewhere', async () => {
    if (!browser) throw new Error('Chromium did not start.');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      const hosts = new Set<string>();
      const pageErrors: string[] = [];
      page.on('request', (request) => {
        const url = new URL(request.url());
        if (url.protocol !== 'data:') hosts.add(`${url.protocol}//${url.hostname}`);
      });
      page.on('pageerror', (error) => pageErrors.push(error.message));
      // Browser code as text: the project's TypeScript has no DOM types.
      await page.addInitScript({
        content: `window.cspViolations = [];
          document.addEventListener('securitypolicyviolation', (event) =>
            window.cspViolations.push(event.effectiveDirective + ' ' + event.blockedURI));`,
      });

      // GraphiQL 4.1 introspects before its headers editor exists; the page must still send the token
      // (the gateway refuses introspection without one), and the schema must load (docs, completion).
      const introspection = page.waitForResponse(
        (response) => response.url().endsWith('/graphql') && (response.request().postData() ?? '').includes('IntrospectionQuery'),
      );
      await page.goto(`${origin}/graphiql`);
      const introspected = await introspection;
      expect(introspected.request().headers().authorization).toMatch(/^Bearer /);
      const schema = (await introspected.json()) as { data?: { __schema?: { types: { name: string }[] } }; errors?: unknown[] };
      expect(schema.errors).toBeUndefined();
      expect(schema.data?.__schema?.types.map((type) => type.name)).toContain('Patient');

      const queryEditor = page.locator('.graphiql-query-editor .CodeMirror');
      await queryEditor.waitFor({ state: 'visible' });

      // The headers editor is open and holds the development token.
      await page.locator('.graphiql-editor-tools button[data-name="headers"].active').waitFor();
      const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');
      await expect.poll(() => headersEditor.innerText()).toContain('Bearer ');

      // Replace the query by typing; insertText is one input event, so CodeMirror's bracket auto-closing stays out of it.
      await queryEditor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText(QUERY);
      expect(await editorValue(queryEditor)).toBe(QUERY);
      // GraphiQL reads the edit 100 ms later (debounced); run before that and it sends the first tab's operation name.
      // Once read, the active tab is renamed after the (anonymous) operation.
      await expect.poll(() => page.locator('.graphiql-tab-active').textContent()).toContain('<untitled>');

      await page.getByRole('button', { name: 'Execute query (Ctrl-Enter)' }).click();
      const result = page.locator('.graphiql-response .result-window');
      for (const name of PATIENTS) {
        await expect.poll(() => result.textContent(), { timeout: 30_000 }).toContain(name);
      }
      const response = JSON.parse(await editorValue(result.locator('.CodeMirror'))) as {
        data?: { patients: { nodes: { id: string; name: string }[] } };
        errors?: unknown;
      };
      expect(response.errors).toBeUndefined();
      expect(response.data?.patients.nodes.map((node) => node.name).sort()).toEqual([...PATIENTS].sort());

      await mkdir(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });

      // A dialog too: Radix inserts a <style> element for it, which the CSP must allow.
      await page.getByRole('button', { name: 'Open settings dialog' }).click();
      await page.locator('.graphiql-dialog').waitFor({ state: 'visible' });

      expect([...hosts]).toEqual(['http://127.0.0.1']);
      expect(await page.evaluate(() => (globalThis as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, BROWSER_TIMEOUT_MS);
});
