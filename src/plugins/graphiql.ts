/**
 * createGraphiqlHandler: a GraphiQL page for development that works offline.
 * Apollo's landing page loads its IDE from a CDN; this one is bundled here,
 * from the `graphiql` package in node_modules, so it works on a plane, behind
 * a proxy, and under a Content-Security-Policy that allows nothing foreign.
 *
 * - The bundle (React 19 + GraphiQL 4 + its CSS) is built in memory with
 *   esbuild on the first request, once; concurrent first requests share the
 *   build. esbuild, graphiql and React are devDependencies: the handler loads
 *   them only then, and without them it answers 503 (and tries again on the
 *   next request) instead of taking the server down.
 * - The bundle knows nothing of the deployment: the page carries the endpoint,
 *   headers and tabs as JSON, which the bundle reads, so one build serves any
 *   options. Its assets are named by content hash and cached for good; the
 *   page itself is never cached, since it carries a token.
 * - GraphiQL keeps tabs in localStorage; the options' tabs are its defaults,
 *   shown in a browser without stored tabs. Headers are never persisted (the
 *   token comes from the page each time); GraphiQL names a tab after its
 *   operation, so a tab's title is kept as a first comment line.
 *
 * Options: `endpoint`, `headers` (pre-filled in the headers editor, shown
 * open), `tabs`.
 */
import type { Logger } from '../logger.js';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';

export interface GraphiqlOptions {
  /** Where the page sends operations, e.g. '/graphql'. */
  readonly endpoint: string;
  /** Pre-filled in GraphiQL's headers tab, e.g. { Authorization: 'Bearer …' } (the development token). */
  readonly headers: Readonly<Record<string, string>>;
  /** Example operations, one GraphiQL tab each (first one active). */
  readonly tabs: readonly { readonly title: string; readonly query: string; readonly variables?: string }[];
  /** Where a bundle that does not build is reported. */
  readonly logger?: Logger;
}

interface Asset {
  readonly contentType: string;
  readonly body: Buffer;
}

interface Bundle {
  readonly script: string;
  readonly stylesheet: string;
  readonly assets: ReadonlyMap<string, Asset>;
}

/** What the page hands the bundle, in `<script type="application/json" id="graphiql-config">`. */
interface PageConfig {
  readonly endpoint: string;
  readonly headers: string;
  readonly tabs: readonly { readonly query: string; readonly variables: string | null }[];
}

// The browser side, with two work-arounds for GraphiQL 4.1:
// - its first introspection runs before the headers editor exists, so without
//   headers (graphql/graphiql#3969), and the gateway refuses introspection
//   without a token: that request gets the page's headers;
// - the first tab's variables editor starts from storage, not from the tab:
//   it is filled in once the editor exists.
// `defaultTabs` are used only when no tab state is stored; the headers editor
// starts from `defaultHeaders` (not from the tab), which new tabs get too.
const ENTRY = `
import { useEditorContext } from '@graphiql/react';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';

const config = JSON.parse(document.getElementById('graphiql-config').textContent);
const pageHeaders = JSON.parse(config.headers);
const tabs = config.tabs.map((tab) => ({ query: tab.query, variables: tab.variables, headers: config.headers }));
const fetchOperation = createGraphiQLFetcher({ url: config.endpoint });
const fetcher = (params, options) =>
  fetchOperation(params, params.operationName === 'IntrospectionQuery' && !options?.headers ? { ...options, headers: pageHeaders } : options);

function ActiveTabVariables() {
  const { variableEditor, tabs, activeTabIndex } = useEditorContext({ nonNull: true });
  useEffect(() => {
    const variables = tabs[activeTabIndex]?.variables;
    if (variableEditor && variables && !variableEditor.getValue()) variableEditor.setValue(variables);
  }, [variableEditor]);
  return null;
}

// ActiveTabVariables sits in the logo, the one slot GraphiQL renders inside its editor context.

createRoot(document.getElementById('graphiql')).render(
  <GraphiQL
    fetcher={fetcher}
    defaultTabs={tabs}
    defaultHeaders={config.headers}
    shouldPersistHeaders={false}
    defaultEditorToolsVisibility="headers"
  >
    <GraphiQL.Logo>
      GraphiQL
      <ActiveTabVariables />
    </GraphiQL.Logo>
  </GraphiQL>,
);
`;

// GraphiQL's container fills its parent; the page gives it the window.
const PAGE_CSS = 'html,body{height:100%;margin:0}#graphiql{height:100vh}';

const IMMUTABLE = 'public, max-age=31536000, immutable';

async function buildBundle(): Promise<Bundle> {
  // A devDependency: loaded only when someone opens the page.
  const { build } = await import('esbuild');
  const result = await build({
    stdin: { contents: ENTRY, loader: 'tsx', resolveDir: dirname(fileURLToPath(import.meta.url)), sourcefile: 'graphiql-entry.tsx' },
    bundle: true,
    write: false,
    outdir: 'graphiql-bundle',
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    // Only for subscriptions over WebSockets, which the page does not configure.
    external: ['graphql-ws'],
    logLevel: 'silent',
  });
  const assets = new Map<string, Asset>();
  const add = (extension: 'js' | 'css', contentType: string, text: string): string => {
    const body = Buffer.from(text);
    const name = `app.${createHash('sha256').update(body).digest('hex').slice(0, 16)}.${extension}`;
    assets.set(name, { contentType, body });
    return name;
  };
  const output = (extension: string): string => {
    const file = result.outputFiles.find((candidate) => candidate.path.endsWith(`.${extension}`));
    if (!file) throw new Error(`esbuild produced no .${extension} file`);
    return file.text;
  };
  return {
    script: add('js', 'text/javascript; charset=utf-8', output('js')),
    stylesheet: add('css', 'text/css; charset=utf-8', `${output('css')}\n${PAGE_CSS}\n`),
    assets,
  };
}

/**
 * The page's CSP. Checked in Chromium: the config is JSON, not a script, and
 * the bundle needs no eval; style attributes are set through the CSSOM, but
 * GraphiQL's dialogs (Radix) insert <style> elements, hence 'unsafe-inline';
 * its CSS embeds its fonts as data: URLs.
 */
function contentSecurityPolicy(endpoint: string): string {
  let connect = "'self'";
  try {
    // An endpoint on another origin must be reachable too; a path like '/graphql' throws here.
    connect += ` ${new URL(endpoint).origin}`;
  } catch {
    // Same origin.
  }
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** JSON safe inside a <script> element: no `</script>`, no `<!--`. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function renderPage(bundle: Bundle, assetBase: string, config: PageConfig): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escapeHtml(`${assetBase}/${bundle.stylesheet}`)}">
<script type="application/json" id="graphiql-config">${scriptJson(config)}</script>
<script defer src="${escapeHtml(`${assetBase}/${bundle.script}`)}"></script>
</head>
<body>
<div id="graphiql"><noscript>GraphiQL needs JavaScript.</noscript></div>
</body>
</html>
`;
}

/** Express handler mounted by the server with app.use('/graphiql', createGraphiqlHandler(options)). */
export function createGraphiqlHandler(options: GraphiqlOptions): express.Router {
  const config: PageConfig = {
    endpoint: options.endpoint,
    headers: JSON.stringify(options.headers, null, 2),
    tabs: options.tabs.map((tab) => ({
      query: tab.query.includes(tab.title) ? tab.query : `# ${tab.title}\n${tab.query}`,
      variables: tab.variables ?? null,
    })),
  };
  const csp = contentSecurityPolicy(options.endpoint);

  let building: Promise<Bundle> | undefined;
  const bundle = (): Promise<Bundle> =>
    (building ??= buildBundle().catch((error: unknown) => {
      building = undefined; // the next request tries again
      throw error;
    }));

  const withBundle = async (req: express.Request, res: express.Response): Promise<Bundle | null> => {
    try {
      return await bundle();
    } catch (error) {
      options.logger?.warn({ err: error, path: req.path }, 'graphiql: the bundle did not build');
      res
        .status(503)
        .set('Cache-Control', 'no-store')
        .json({ error: 'GraphiQL is unavailable: its page is built with the development dependencies (esbuild, graphiql, react); install them with `npm install`.' });
      return null;
    }
  };

  const router = express.Router();
  router.get('/', async (req, res) => {
    const built = await withBundle(req, res);
    if (!built) return;
    res
      .status(200)
      .set({
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
        'Content-Security-Policy': csp,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
      })
      .send(renderPage(built, `${req.baseUrl}/assets`, config));
  });
  router.get('/assets/:file', async (req, res) => {
    const built = await withBundle(req, res);
    if (!built) return;
    const asset = built.assets.get(req.params.file);
    if (!asset) {
      res.status(404).set('Cache-Control', 'no-store').type('text/plain').send('Not found.');
      return;
    }
    res
      .status(200)
      .set({ 'Content-Type': asset.contentType, 'Cache-Control': IMMUTABLE, 'X-Content-Type-Options': 'nosniff' })
      .send(asset.body);
  });
  return router;
}
