/**
 * The config module's own checks: settings whose values contradict each other are refused at start-up,
 * with the names of the settings involved (no database needed).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('accepts the defaults', () => {
    const config = loadConfig({});
    expect(config.cacheGenerationTtlSeconds).toBeGreaterThan(Math.max(config.cacheFragmentTtlSeconds, config.cacheResponseTtlSeconds));
  });

  it('refuses tag generations that would expire before the entries fenced under them', () => {
    expect(() => loadConfig({ CACHE_GENERATION_TTL_SECONDS: '300' })).toThrow(
      /CACHE_GENERATION_TTL_SECONDS must be longer than every cache entry lives .* the longest 300 s\), got 300/,
    );
    expect(() => loadConfig({ CACHE_GENERATION_TTL_SECONDS: '600', CACHE_RESPONSE_TTL_SECONDS: '900' })).toThrow(/the longest 900 s/);
    expect(loadConfig({ CACHE_GENERATION_TTL_SECONDS: '301' }).cacheGenerationTtlSeconds).toBe(301);
  });
});
