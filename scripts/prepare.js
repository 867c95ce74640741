// Runs at `npm ci` / `npm install` (the `prepare` script): builds the web console into dist/web, which
// `monban serve` serves. With dev dependencies left out (`npm ci --omit=dev`) there is no Vite, so the
// console is skipped with a note and the server answers `/` with how to build it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../node_modules/vite/package.json', import.meta.url))) {
  process.stderr.write(
    'monban: Vite is not installed, so the web console is not built (run `npm run build:web`)\n',
  );
  process.exit(0);
}
const npm = process.env.npm_execpath;
const build = npm
  ? spawnSync(process.execPath, [npm, 'run', 'build:web'], { stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build:web'], { stdio: 'inherit' });
process.exit(build.status ?? 1);
