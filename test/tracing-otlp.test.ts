/**
 * With an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT), spans leave the
 * process by OTLP/HTTP: a collector stand-in (a plain HTTP server of this
 * test) receives them on /v1/traces once tracing is stopped (which flushes
 * the batch), with the service name as a resource attribute.
 *
 * Its own file: the tracer provider is global to the process (Vitest runs
 * each file in its own).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startTracing } from '../src/telemetry/tracing.js';
import type { TestGateway } from '../src/testing/index.js';
import { gatewayTest } from './support/fixtures-gateway.js';

const received: { url: string; contentType: string; body: string }[] = [];
const collector = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    received.push({ url: req.url ?? '', contentType: String(req.headers['content-type']), body });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
/** This file's gateway (its own database), shared by every test and hook here. */
const test = gatewayTest('tracing_otlp');
let gw: TestGateway;
let stopTracing: () => Promise<void>;

beforeAll(async () => {
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const { port } = collector.address() as AddressInfo;
  // Read as src/main.ts reads it; the trailing slash must not double.
  const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/`, OTEL_SERVICE_NAME: 'otlp-under-test' });
  stopTracing = await startTracing({ otlpEndpoint: config.otlpEndpoint, serviceName: config.otelServiceName });
});

// The gateway is created after tracing started (this is the first hook to ask for it).
test.beforeAll(({ gateway }) => {
  gw = gateway;
});

afterAll(async () => {
  await stopTracing?.();
  await new Promise<void>((resolve) => collector.close(() => resolve()));
});

test('exports the operation span to ${endpoint}/v1/traces, flushed by the shutdown function', async () => {
  const { port } = await gw.gateway.listen();
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: (await gw.authorizationFor('admin'))! },
    body: JSON.stringify({ query: 'query Exported { patients(first: 1) { nodes { id } } }' }),
  });
  expect(response.status).toBe(200);
  await stopTracing();
  expect(received.length).toBeGreaterThanOrEqual(1);
  expect(received.every((request) => request.url === '/v1/traces')).toBe(true);
  const bodies = received.map((request) => request.body).join('\n');
  expect(bodies).toContain('graphql.operation Exported');
  expect(bodies).toContain('dataloader.batch patients');
  expect(bodies).toContain('mysql SELECT');
  expect(bodies).toContain('otlp-under-test');
});
