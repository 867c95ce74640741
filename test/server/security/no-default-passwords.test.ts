// Rule: no default or hard-coded passwords anywhere (R-SEC-1; IDenticard PremiSys and Linear eMerge
// fell to exactly this). Scans src/, docs/, bin/, scripts/ and the configuration files for
// password-like assignments with a literal value, well-known default pairs, and documentation that
// tells people to log in with a fixed password. The common-password blocklist is the one exception:
// it lists passwords in order to refuse them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const SCANNED_DIRS = ['src', 'docs', 'bin', 'scripts', '.ci'];
const CONFIG_FILES = ['package.json', 'tsconfig.json', 'biome.json', 'vitest.config.ts', 'README.md'];
const ALLOWED = new Set(['src/server/auth/common-passwords.txt']);
const TEXT = /\.(ts|js|mjs|cjs|json|ya?ml|md|txt|sh|toml|ini|env|conf)$|^[^.]+$/;

const SECRET_NAME = '(?:pass(?:word|wd|phrase)?|pwd|secret|api[_-]?key|token)';
/** a name that ends in a secret word: password, adminPassword, DB_PASSWORD, "apiKey", setup_token */
const NAME = String.raw`(?:^|[^\w])\w*?${SECRET_NAME}["']?\s*[:=]\s*`;
const PATTERNS: [string, RegExp][] = [
  // password = "hunter2", password: 'hunter2', "password": "x" (a literal of 6+ characters, no template)
  [
    'literal assigned to a password-like name',
    new RegExp(String.raw`${NAME}(["'\`])(?!\s*\1)(?![^"'\`\n]*\$\{)[^"'\`\n]{6,}\1`, 'i'),
  ],
  // PASSWORD=hunter2 in env files, shell scripts and YAML
  [
    'password-like environment default',
    new RegExp(String.raw`^\s*(?:export\s+)?\w*${SECRET_NAME}\s*=\s*[^\s$"'<\x60({]{4,}`, 'im'),
  ],
  ['password on a command line', /--(?:password|passwd|pin|token|secret)[ =](?![<$-])\S{3,}/i],
  [
    'well-known default pair',
    /\b(admin|root|administrator|user)\s*[/:]\s*(admin|root|password|1234|12345|123456|changeme|default)\b/i,
  ],
  [
    'documented default password',
    /\bdefault\s+(?:admin\s+)?(?:password|passwd|credentials?)\s+(?:is|are|:)/i,
  ],
];

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.git')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (TEXT.test(name)) yield path;
  }
}

function findDefaults(text: string): { line: number; rule: string; excerpt: string }[] {
  const hits: { line: number; rule: string; excerpt: string }[] = [];
  text.split('\n').forEach((line, index) => {
    for (const [rule, pattern] of PATTERNS) {
      if (!pattern.test(line)) continue;
      hits.push({ line: index + 1, rule, excerpt: line.trim().slice(0, 120) });
    }
  });
  return hits;
}

describe('no default passwords', () => {
  it('the scanner catches the shapes real products shipped', () => {
    for (const bad of [
      `const adminPassword = 'Adm1n2019!';`,
      `password: "monban"`,
      `{"password": "changeme"}`,
      `MONBAN_ADMIN_PASSWORD=letmein`,
      `monban admin create --username admin --password secret123`,
      `Log in as admin/admin and change it later.`,
      `The default password is printed on the label.`,
      `const apiKey = "0102030405060708";`,
      `export MONBAN_DB_PASSWORD=hunter22`,
    ])
      expect(findDefaults(bad), bad).not.toEqual([]);
    for (const fine of [
      `password: string;`,
      `password: z.string().min(1),`,
      `const password = await readPassword();`,
      `await loginFailed(request, name, operator, 'password');`,
      `monban admin create --username alice   # prompts for the password`,
      `password: '',`,
      '--password-stdin',
      `export const API_TOKEN_PREFIX = 'mbn_';`,
      "const tokenPermissions = ['people:read'];",
      `credential: "card:C-1"`,
      ['const secret = `$', '{prefix}', '$', '{random}`;'].join(''),
    ])
      expect(findDefaults(fine), fine).toEqual([]);
  });

  it('finds none in src/, docs/, bin/, scripts/ and the configuration', () => {
    const hits: string[] = [];
    const paths = [
      ...SCANNED_DIRS.flatMap((dir) => {
        try {
          return [...files(join(ROOT, dir))];
        } catch {
          return [];
        }
      }),
      ...CONFIG_FILES.map((f) => join(ROOT, f)),
    ];
    for (const path of paths) {
      const rel = relative(ROOT, path);
      if (ALLOWED.has(rel)) continue;
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        continue;
      }
      for (const hit of findDefaults(text)) hits.push(`${rel}:${hit.line} ${hit.rule}: ${hit.excerpt}`);
    }
    expect(paths.length).toBeGreaterThan(50);
    expect(hits).toEqual([]);
  });
});
