import { createTestGateway } from './src/testing/index.js';
const dev = await createTestGateway({ name: 'probevars', cache: true, env: { NODE_ENV: 'development', LOG_LEVEL: 'silent' } });
const d = await dev.gateway.listen();
const gc = (globalThis as any).gc as () => void;
const heap = () => { gc(); gc(); return (process.memoryUsage().heapUsed / 2**20).toFixed(1); };
console.log('heap before', heap());
const query = 'query Q($filter: PatientFilter) { patients(first: 5, filter: $filter) { nodes { id } } }';
for (let i = 0; i < 1200; i++) {
  const pad = Array.from({ length: 400 }, (_, j) => `${i}-${j}-${'x'.repeat(990)}`);
  const r = await fetch(d.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: query + ` # ${i % 60}`, variables: { pad, filter: { isActive: true } } }) });
  await r.text();
  if (i === 0) console.log('status', r.status, 'body bytes', JSON.stringify({ pad }).length);
}
console.log('heap after 300 x 400KB', heap());
await dev.close();
process.exit(0);
