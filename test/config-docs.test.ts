/**
 * docs/configuration.md is src/config.ts rendered (src/cli/config-docs.ts): the committed page is what the
 * doc comments render to, every variable loadConfig reads is documented, and every documented default that
 * is a literal is the value loadConfig applies when the variable is unset. No database: this is about text.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIGURATION_PAGE, documentedSettings, parseSetting, renderConfigurationPage } from '../src/cli/config-docs.js';
import { loadConfig, type Config } from '../src/config.js';

const SETTINGS = documentedSettings();
const DEFAULTS = loadConfig({});

/** The default as loadConfig should hold it, when the documented text is a literal rather than prose. */
function literalDefault(defaultText: string): string | null {
  const first = defaultText.split(/[;,] /)[0]!.trim();
  return /^[\w.:/@-]+$/.test(first) ? first : null;
}

describe('docs/configuration.md', () => {
  it('is what src/config.ts renders to (run `npm run docs:config` after changing a setting)', () => {
    expect(readFileSync(CONFIGURATION_PAGE, 'utf8')).toBe(renderConfigurationPage());
  });

  it('documents every variable loadConfig reads, and only those (plus the build-time ones)', () => {
    const source = readFileSync(new URL('../src/config.ts', import.meta.url), 'utf8');
    // loadConfig and the helpers it reads variables through (everything after the BUILD_TIME_SETTINGS list).
    const body = source.slice(source.indexOf('type Env ='));
    const read = new Set([...body.matchAll(/\(env, '([A-Z0-9_]+)'/g), ...body.matchAll(/env\.([A-Z0-9_]+)/g)].map((match) => match[1]!));
    const documented = SETTINGS.filter((setting) => setting.property !== null).map((setting) => setting.variable);
    expect([...read].sort()).toEqual([...new Set(documented)].sort());
  });

  it('states the default loadConfig applies for every literal default', () => {
    const checked: string[] = [];
    for (const setting of SETTINGS) {
      if (!setting.property) continue;
      const literal = literalDefault(setting.defaultText);
      const actual = DEFAULTS[setting.property as keyof Config];
      if (literal === null) continue;
      checked.push(setting.variable);
      if (literal === 'none' || literal === 'unset') {
        const empty = actual === null || (Array.isArray(actual) ? actual.length === 0 : typeof actual === 'object' && Object.keys(actual).length === 0);
        expect(empty, setting.variable).toBe(true);
      }
      else if (typeof actual === 'boolean') expect(literal, setting.variable).toBe(actual ? '1' : '0');
      else if (setting.variable.endsWith('_PATH')) expect(String(actual).endsWith(literal), setting.variable).toBe(true);
      else expect(literal, setting.variable).toBe(String(actual));
    }
    // The prose defaults are the secrets and the mode-dependent one; everything else is checked.
    expect(SETTINGS.filter((setting) => setting.property && !checked.includes(setting.variable)).map((setting) => setting.variable).sort()).toEqual([
      'ALLOW_APQ_REGISTRATION',
      'CURSOR_SECRET',
      'JWT_SECRET',
    ]);
  });

  it('refuses a doc comment that does not read "VARIABLE (default): meaning", naming the setting', () => {
    expect(() => parseSetting('How long to wait.', 'waitMs')).toThrow(/waitMs must start with "VARIABLE \(default\): "/);
    expect(() => parseSetting('WAIT_MS (100 how long', 'waitMs')).toThrow(/WAIT_MS must read "WAIT_MS \(default\): meaning"/);
    expect(parseSetting('PATH_X (a (nested) default): what it is.', 'x')).toEqual({
      variable: 'PATH_X',
      property: 'x',
      defaultText: 'a (nested) default',
      meaning: 'what it is.',
    });
  });
});
