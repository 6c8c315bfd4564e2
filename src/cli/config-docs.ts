/**
 * `npm run docs:config`: renders docs/configuration.md from src/config.ts, so the settings table cannot
 * drift from the code. Each property of the `Config` interface documents itself as
 * `VARIABLE (default): meaning` (several lines allowed); BUILD_TIME_SETTINGS adds the variables only build
 * tools read. `--check` exits 1 when the committed page differs from what this renders (test/config-docs.test.ts
 * checks the same, and that every documented default is the one loadConfig applies).
 *
 * Written here rather than with a doc generator (typedoc and friends render API pages, not a settings table
 * keyed by environment variable); the TypeScript compiler API reads the comments exactly as tsc sees them.
 *
 *   npm run docs:config            # writes docs/configuration.md
 *   npm run docs:config -- --check # fails when it is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { BUILD_TIME_SETTINGS } from '../config.js';
import { PROJECT_ROOT } from '../paths.js';

export const CONFIGURATION_PAGE = path.join(PROJECT_ROOT, 'docs', 'configuration.md');
const CONFIG_SOURCE = path.join(PROJECT_ROOT, 'src', 'config.ts');

export interface DocumentedSetting {
  /** The environment variable, e.g. `PORT`. */
  readonly variable: string;
  /** The `Config` property it sets, or null for a build-time setting. */
  readonly property: string | null;
  /** The text in parentheses: the default, as a reader should understand it. */
  readonly defaultText: string;
  readonly meaning: string;
}

/**
 * `VARIABLE (default): meaning` split into its parts; the default may itself hold parentheses.
 *
 *   parseSetting('PORT (4000): HTTP port; 0 picks a free one.', 'port')
 *   // { variable: 'PORT', property: 'port', defaultText: '4000', meaning: 'HTTP port; 0 picks a free one.' }
 */
export function parseSetting(text: string, property: string | null): DocumentedSetting {
  const head = /^([A-Z][A-Z0-9_]*) \(/.exec(text);
  if (!head) throw new Error(`The doc comment of ${property ?? 'a build-time setting'} must start with "VARIABLE (default): ", got "${text.slice(0, 60)}".`);
  let depth = 1;
  let index = head[0].length;
  for (; index < text.length && depth > 0; index += 1) {
    if (text[index] === '(') depth += 1;
    else if (text[index] === ')') depth -= 1;
  }
  if (depth !== 0 || text.slice(index, index + 2) !== ': ') {
    throw new Error(`The doc comment of ${head[1]} must read "${head[1]} (default): meaning", got "${text.slice(0, 80)}".`);
  }
  return { variable: head[1]!, property, defaultText: text.slice(head[0].length, index - 1), meaning: text.slice(index + 2).trim() };
}

/** The settings of `Config`, in the order src/config.ts declares them, then the build-time ones. */
export function documentedSettings(source = readFileSync(CONFIG_SOURCE, 'utf8')): DocumentedSetting[] {
  const file = ts.createSourceFile('config.ts', source, ts.ScriptTarget.Latest, true);
  const config = file.statements.find((statement): statement is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(statement) && statement.name.text === 'Config');
  if (!config) throw new Error('src/config.ts declares no `interface Config`.');
  const settings = config.members.map((member) => {
    const property = member.name && ts.isIdentifier(member.name) ? member.name.text : '?';
    const comment = (ts.getLeadingCommentRanges(source, member.getFullStart()) ?? []).map((range) => source.slice(range.pos, range.end)).find((text) => text.startsWith('/**'));
    if (!comment) throw new Error(`Config.${property} has no doc comment; every setting documents its variable, default and meaning.`);
    const text = comment
      .replace(/^\/\*\*|\*\/$/g, '')
      .split('\n')
      .map((line) => line.replace(/^\s*\* ?/, '').trim())
      .filter((line) => line !== '')
      .join(' ');
    return parseSetting(text, property);
  });
  return [...settings, ...BUILD_TIME_SETTINGS.map((text) => parseSetting(text, null))];
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** docs/configuration.md as it must be. */
export function renderConfigurationPage(settings = documentedSettings()): string {
  const rows = settings.map(
    (setting) => `| \`${setting.variable}\` | ${cell(setting.defaultText)} | ${cell(setting.meaning)}${setting.property ? '' : ' Build time only.'} |`,
  );
  return [
    '# Configuration',
    '',
    '<!-- Generated from src/config.ts by `npm run docs:config`; edit the doc comments there, not this page. -->',
    '',
    'Every setting is an environment variable, read once at start by `loadConfig` (`src/config.ts`), which',
    'refuses a malformed value with a sentence naming the variable and what it expected. Limits, timeouts and',
    'TTLs all live there; nothing else reads the environment for behaviour.',
    '',
    '| variable | default | meaning |',
    '| --- | --- | --- |',
    ...rows,
    '',
    'The test suite reads two more variables, `TEST_DATABASE_SERVER` and `TEST_REDIS_URL`: see',
    '[CONTRIBUTING.md](../CONTRIBUTING.md).',
    '',
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const expected = renderConfigurationPage();
  if (process.argv.includes('--check')) {
    let actual = '';
    try {
      actual = readFileSync(CONFIGURATION_PAGE, 'utf8');
    } catch {
      // A missing page is stale like any other.
    }
    if (actual !== expected) {
      process.stderr.write('docs/configuration.md is stale: run `npm run docs:config` and commit it.\n');
      process.exit(1);
    }
  } else {
    writeFileSync(CONFIGURATION_PAGE, expected);
    process.stdout.write(`docs:config: wrote ${path.relative(PROJECT_ROOT, CONFIGURATION_PAGE)}\n`);
  }
}
