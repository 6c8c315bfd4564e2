/**
 * The GraphiQL handler (src/plugins/graphiql.ts `createGraphiqlHandler`)
 * alone, mounted on a bare Express app on a local port (no database): the
 * page carries the `endpoint`, `headers` and `tabs` options as JSON (a tab's
 * title as a first comment line unless its query already holds it), is never
 * cached and has a CSP that allows the endpoint's origin; the bundle's assets
 * are content-hashed and cached for good, an unknown one is 404; when the
 * bundle cannot build the page is 503 and the next request builds again
 * (esbuild made to fail once).
 */
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import express from 'express';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createGraphiqlHandler, type GraphiqlOptions } from '../../src/plugins/graphiql.js';
import { memoryLogger } from './helpers.js';

const control = vi.hoisted(() => ({ failBuilds: 0, builds: 0 }));

vi.mock('esbuild', async (importOriginal) => {
  const real = await importOriginal<typeof import('esbuild')>();
  return {
    ...real,
    build: (async (options: Parameters<typeof real.build>[0]) => {
      control.builds += 1;
      if (control.failBuilds > 0) {
        control.failBuilds -= 1;
        throw new Error('esbuild is not installed');
      }
      return real.build(options);
    }) as typeof real.build,
  };
});

const servers: http.Server[] = [];

async function mount(options: GraphiqlOptions): Promise<string> {
  const app = express();
  app.use('/graphiql', createGraphiqlHandler(options));
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphiql`;
}

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

function pageConfig(html: string): { endpoint: string; headers: string; tabs: { query: string; variables: string | null }[] } {
  const match = /<script type="application\/json" id="graphiql-config">(.*?)<\/script>/s.exec(html);
  if (!match) throw new Error('no graphiql-config in the page');
  return JSON.parse(match[1]!) as ReturnType<typeof pageConfig>;
}

describe('createGraphiqlHandler', () => {
  it('serves the page with its options, no-store, a CSP and the hashed, immutable assets', async () => {
    const base = await mount({
      endpoint: '/graphql',
      headers: { Authorization: 'Bearer dev-token' },
      tabs: [
        { title: 'First patients', query: 'query Patients { patients { id } }', variables: '{"first": 5}' },
        { title: 'Has title', query: '# Has title\n{ viewer { role } }' },
      ],
    });
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp.split('; ')).toContain("connect-src 'self'");
    expect(csp.split('; ')).toContain("default-src 'none'");
    expect(csp.split('; ')).toContain("script-src 'self'");

    const html = await response.text();
    expect(pageConfig(html)).toEqual({
      endpoint: '/graphql',
      headers: JSON.stringify({ Authorization: 'Bearer dev-token' }, null, 2),
      tabs: [
        { query: '# First patients\nquery Patients { patients { id } }', variables: '{"first": 5}' },
        { query: '# Has title\n{ viewer { role } }', variables: null },
      ],
    });

    const script = /<script defer src="([^"]+)"><\/script>/.exec(html)?.[1];
    const stylesheet = /<link rel="stylesheet" href="([^"]+)">/.exec(html)?.[1];
    expect(script).toMatch(/^\/graphiql\/assets\/app\.[0-9a-f]{16}\.js$/);
    expect(stylesheet).toMatch(/^\/graphiql\/assets\/app\.[0-9a-f]{16}\.css$/);

    const origin = new URL(base).origin;
    const js = await fetch(`${origin}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await js.text()).length).toBeGreaterThan(1000);
    const css = await fetch(`${origin}${stylesheet}`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toContain('html,body{height:100%;margin:0}#graphiql{height:100vh}');

    const missing = await fetch(`${base}/assets/app.0000000000000000.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cache-control')).toBe('no-store');
    expect(await missing.text()).toBe('Not found.');
  });

  it('answers 503 while the bundle cannot build, logs it, and builds again on the next request', async () => {
    const { logger, lines } = memoryLogger('warn');
    const base = await mount({
      endpoint: 'https://api.example.org/graphql',
      headers: {},
      tabs: [{ title: 'Closing </script><!-- tag', query: '{ a }' }],
      logger,
    });
    control.failBuilds = 1;
    const before = control.builds;
    const refused = await fetch(`${base}/`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(((await refused.json()) as { error: string }).error).toMatch(/^GraphiQL is unavailable: /);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, msg: 'graphiql: the bundle did not build', path: '/' });

    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(control.builds).toBe(before + 2);
    // An endpoint on another origin is allowed by the CSP.
    expect(page.headers.get('content-security-policy')!.split('; ')).toContain("connect-src 'self' https://api.example.org");
    const html = await page.text();
    // The options' text cannot close the JSON script element.
    expect(html).not.toContain('</script><!--');
    expect(pageConfig(html).tabs[0]!.query).toBe('# Closing </script><!-- tag\n{ a }');

    // Built once: further requests reuse the bundle.
    await fetch(`${base}/`);
    expect(control.builds).toBe(before + 2);
  });
});
