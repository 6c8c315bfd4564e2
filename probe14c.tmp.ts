import { parse, validate, specifiedRules, buildASTSchema } from 'graphql';
import { loadTypeDefs } from './src/schema.js';
import { makeExecutableSchema } from '@graphql-tools/schema';
const schema = buildASTSchema(parse(loadTypeDefs().join('\n')));
for (const [depth, spreads] of [[12,3],[15,3],[18,2],[18,3]] as const) {
  let doc = 'fragment F0 on Patient { name records { nodes { id } } }\n';
  for (let i = 1; i <= depth; i++) doc += `fragment F${i} on Patient { ${Array.from({length: spreads}, () => `...F${i-1}`).join(' ')} }\n`;
  doc += `query Bomb { patients(first: 1) { nodes { ...F${depth} } } }`;
  const t0 = performance.now(); const ast = parse(doc); const t1 = performance.now();
  const errs = validate(schema, ast); const t2 = performance.now();
  console.log(depth, spreads, doc.length, 'parse', (t1-t0).toFixed(1), 'validate', (t2-t1).toFixed(1), errs.length);
}
