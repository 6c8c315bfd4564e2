/**
 * What a developer meets in a browser and a terminal, on a real gateway (development and production):
 * - `GET /` leads to the explorer in development (302 to /graphql) and is 404 in production;
 * - the Sandbox page on `GET /graphql` names the offline GraphiQL, which answers;
 * - LOG_FORMAT=pretty prints one short readable line per /graphql request (no JSON, no headers), while the
 *   JSON default logs nothing for a fast, successful request. The request's statements are counted at the
 *   driver and match what the line says.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '../src/testing/index.js';
import { insertPatients } from './support/fixtures.js';

function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      done();
    },
  });
  return { stream, lines };
}

/** Waits until `lines` holds a line matching `pattern` (the log line is written when the response finishes). */
async function lineMatching(lines: string[], pattern: RegExp, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = lines.find((candidate) => pattern.test(candidate));
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no log line matched ${pattern} within ${timeoutMs} ms; lines: ${JSON.stringify(lines)}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('development pages and logs', () => {
  let pretty: TestGateway;
  let json: TestGateway;
  let production: TestGateway;
  const prettyLog = capture();
  const jsonLog = capture();
  let prettyUrl: string;
  let jsonUrl: string;
  let productionUrl: string;

  beforeAll(async () => {
    pretty = await createTestGateway({ name: 'dev_pages', env: { NODE_ENV: 'development', LOG_FORMAT: 'pretty', LOG_LEVEL: 'info' }, logDestination: prettyLog.stream });
    json = await createTestGateway({ name: 'dev_pages_json', env: { NODE_ENV: 'development', LOG_LEVEL: 'info' }, logDestination: jsonLog.stream });
    production = await createTestGateway({ name: 'dev_pages_prod', env: { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-characters!' } });
    await insertPatients(pretty.database.pool, [{ name: 'Lena Log' }]);
    prettyUrl = (await pretty.gateway.listen()).url;
    jsonUrl = (await json.gateway.listen()).url;
    productionUrl = (await production.gateway.listen()).url;
  });
  afterAll(async () => {
    await pretty?.close();
    await json?.close();
    await production?.close();
  });

  it('GET / leads a browser to the explorer in development, and is 404 in production', async () => {
    const root = await fetch(new URL('/', prettyUrl), { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/graphql');
    expect((await fetch(new URL('/', productionUrl), { redirect: 'manual' })).status).toBe(404);
  });

  it('the Sandbox page names the offline GraphiQL, and GraphiQL answers there', async () => {
    const sandbox = await fetch(prettyUrl, { headers: { accept: 'text/html' } });
    expect(sandbox.status).toBe(200);
    const html = await sandbox.text();
    expect(html).toContain('embeddable-sandbox');
    expect(html).toContain('<a href="/graphiql">/graphiql</a>');
    const graphiql = await fetch(new URL('/graphiql', prettyUrl), { headers: { accept: 'text/html' } });
    expect(graphiql.status).toBe(200);
  });

  it('LOG_FORMAT=pretty: one short readable line per request, with its status, time and statements', async () => {
    const response = await fetch(prettyUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: (await pretty.authorizationFor('admin'))! },
      body: JSON.stringify({ query: '{ patients(first: 5) { nodes { name } } }' }),
    });
    expect(response.status).toBe(200);
    const statements = response.headers.get('x-sql-statements');
    expect(statements).toBe('1');
    const line = await lineMatching(prettyLog.lines, /POST \/graphql 200/);
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: POST \/graphql 200 \d+ ms 1 SQL$/);
    expect(line).not.toContain('{');
    expect(prettyLog.lines.join('\n')).not.toMatch(/authorization|content-type|Bearer/i);
  });

  it('JSON logs (the default off a terminal) say nothing about a fast, successful request', async () => {
    const before = jsonLog.lines.length;
    const response = await fetch(jsonUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: (await json.authorizationFor('admin'))! },
      body: JSON.stringify({ query: '{ patients(first: 5) { nodes { name } } }' }),
    });
    expect(response.status).toBe(200);
    await response.text();
    // The logger writes to this destination (its start-up line is there, as JSON), and wrote nothing for the request.
    expect(jsonLog.lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toContain('cache: off');
    expect(jsonLog.lines.slice(before)).toEqual([]);
  });
});
