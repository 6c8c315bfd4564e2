import { createTestGateway } from './src/testing/index.js';
import { readFileSync } from 'node:fs';
const SECRET='a-production-secret-of-at-least-32-characters!';
const gw = await createTestGateway({ name: 'probe', env: { NODE_ENV: 'production', JWT_SECRET: SECRET, LOG_LEVEL: 'info' } });
const { url } = await gw.gateway.listen();
const auth = (await gw.authorizationFor('admin'))!;
const show = async (label: string, r: Response) => console.log(label, r.status, (await r.text()).slice(0, 300));
// 1: GET bypass
const q = encodeURIComponent('{ patients(first: 2) { nodes { name email } } }');
await show('GET bypass', await fetch(`${url}?query=${q}&documentId=sha256:${'a'.repeat(64)}`, { headers: { 'content-type': 'application/json', authorization: auth } }));
// 5: two ops without operationName
const dev = await createTestGateway({ name: 'probedev', env: { NODE_ENV: 'development', LOG_LEVEL: 'info' } });
const d = await dev.gateway.listen();
const post = (u: string, body: unknown, h: Record<string,string> = {}) => fetch(u, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth, ...h }, body: JSON.stringify(body) });
await show('two ops', await post(d.url, { query: 'query A { __typename } query B { __typename }' }));
await show('unknown opname', await post(d.url, { query: 'query A { __typename }', operationName: 'Z' }));
await show('subscription', await post(d.url, { query: 'subscription S { __typename }' }));
await show('null defaulted var', await post(d.url, { query: 'query Q($id: ID = "UGF0aWVudDox") { patient(id: $id) { name } }', variables: { id: null } }));
// 4 fragment bomb
let doc = 'fragment F0 on Patient { name records { nodes { id } } }\n';
for (let i = 1; i <= 18; i++) doc += `fragment F${i} on Patient { ...F${i-1} ...F${i-1} ...F${i-1} }\n`;
doc += 'query Bomb { patients(first: 1) { nodes { ...F18 } } }';
console.log('bomb bytes', doc.length);
let t = Date.now();
await show('bomb', await post(d.url, { query: doc }));
console.log('bomb ms', Date.now() - t);
// 3 null first cost
const nq = `{ ${Array.from({length: 15}, (_, i) => `a${i}: patients(first: null) { nodes { records(first: null) { nodes { id } } } }`).join(' ')} }`;
await show('null first', await post(d.url, { query: nq }));
await gw.close(); await dev.close();
process.exit(0);
