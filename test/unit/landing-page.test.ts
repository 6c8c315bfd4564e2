/**
 * useDevelopmentLandingPage (src/plugins/landing-page.ts) alone, without a database: Apollo's real Sandbox
 * page gains the offline GraphiQL hint in its fallback text and its <noscript>, with the configured path,
 * escaped; a page without Apollo's fallback sentence still gets the hint.
 */
import type { GraphQLServerContext, GraphQLServerListener } from '@apollo/server';
import { describe, expect, it } from 'vitest';
import { offlineHint, useDevelopmentLandingPage, withOfflineHint } from '../../src/plugins/landing-page.js';

async function renderedPage(graphiqlPath?: string): Promise<string> {
  const plugin = useDevelopmentLandingPage(graphiqlPath === undefined ? {} : { graphiqlPath });
  const listener = (await plugin.serverWillStart!({} as GraphQLServerContext)) as GraphQLServerListener;
  const page = await listener.renderLandingPage!();
  return typeof page.html === 'function' ? await page.html() : page.html;
}

describe('the development landing page', () => {
  it('keeps Apollo Sandbox and adds the offline GraphiQL to the fallback Apollo shows when Sandbox cannot load', async () => {
    const html = await renderedPage();
    expect(html).toContain('embeddable-sandbox.cdn.apollographql.com');
    const fallback = /<div class="fallback">([\s\S]*?)<\/div>/.exec(html)![1]!;
    expect(fallback).toContain('it appears that you might be offline.');
    expect(fallback).toContain('<a href="/graphiql">/graphiql</a>');
    expect(/<noscript>([\s\S]*?)<\/noscript>/.exec(html)![1]).toContain('<a href="/graphiql">/graphiql</a>');
  });

  it('links the configured path, escaped', async () => {
    const html = await renderedPage('/tools/"graphiql"');
    expect(html).toContain('<a href="/tools/&#34;graphiql&#34;">');
    expect(html).not.toContain('href="/graphiql"');
  });

  it('still adds the hint when a later Apollo words its fallback differently', () => {
    const html = withOfflineHint('<html><body><div id="sandbox"></div></body></html>', '/graphiql');
    expect(html).toBe(`<html><body><div id="sandbox"></div>${offlineHint('/graphiql')}\n</body></html>`);
  });
});
