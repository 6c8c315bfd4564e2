/**
 * useDevelopmentLandingPage: Apollo Sandbox on `GET /graphql` in development,
 * with a way out when Sandbox cannot load. Sandbox comes from Apollo's CDN;
 * offline, behind a proxy that blocks it, or under a strict CSP, the page
 * only says "it appears that you might be offline". This plugin keeps
 * Apollo's page (ApolloServerPluginLandingPageLocalDefault, embedded) and adds,
 * to that fallback text and to its <noscript>, where the gateway's own
 * GraphiQL is: it is bundled locally (src/plugins/graphiql.ts) and works
 * without the internet. When Sandbox loads, its frame covers the fallback,
 * so the hint is seen only when it is needed.
 *
 * Written as a wrapper rather than a page of our own: Apollo's page keeps up
 * with Sandbox's embedding API and CSP; this adds one paragraph to it.
 *
 * Options:
 * - `graphiqlPath` (default '/graphiql'): where the offline GraphiQL is served.
 *
 * Example:
 *   stages: { 'landing page': production ? ApolloServerPluginLandingPageDisabled() : useDevelopmentLandingPage() }
 */
import type { ApolloServerPlugin, GraphQLServerListener } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';

export interface DevelopmentLandingPageOptions {
  readonly graphiqlPath?: string;
}

/** Apollo's fallback sentence, after which the hint goes; the end of <body> when a later Apollo words it otherwise. */
const FALLBACK_TEXT = 'it appears that you might be offline.</p>';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** The hint, as HTML: a paragraph naming the offline GraphiQL. */
export function offlineHint(graphiqlPath: string): string {
  const href = escapeHtml(graphiqlPath);
  return (
    `<p id="offline-graphiql">The gateway also serves GraphiQL itself, which works offline: ` +
    `<a href="${href}">${href}</a> (the development token is already in its headers).</p>`
  );
}

/** Apollo's landing page HTML with the hint added to its fallback text and to its <noscript>. */
export function withOfflineHint(html: string, graphiqlPath: string): string {
  const hint = offlineHint(graphiqlPath);
  const withFallback = html.includes(FALLBACK_TEXT) ? html.replace(FALLBACK_TEXT, `${FALLBACK_TEXT}\n${hint}`) : html.replace('</body>', `${hint}\n</body>`);
  return withFallback.replace('</noscript>', ` ${hint}</noscript>`);
}

export function useDevelopmentLandingPage(options: DevelopmentLandingPageOptions = {}): ApolloServerPlugin {
  const graphiqlPath = options.graphiqlPath ?? '/graphiql';
  const sandbox = ApolloServerPluginLandingPageLocalDefault({ embed: true });
  return {
    async serverWillStart(service) {
      const listener = (await sandbox.serverWillStart?.(service)) as GraphQLServerListener | undefined;
      const render = listener?.renderLandingPage;
      if (!render) return listener;
      return {
        ...listener,
        async renderLandingPage() {
          const page = await render();
          return {
            ...page,
            // Apollo may give the page as text or as a function producing it (per request, with a fresh nonce).
            html: typeof page.html === 'function' ? async () => withOfflineHint(await (page.html as () => Promise<string>)(), graphiqlPath) : withOfflineHint(page.html, graphiqlPath),
          };
        },
      };
    },
  };
}
