// The e2e tests run against the built console (dist/web), as users get it. `npm ci` builds it; when it
// is missing or older than its sources (a developer edited src/web), it is built again first.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../../', import.meta.url).pathname;

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path));
    else if (!entry.name.endsWith('.gen.ts')) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

const fresh = () => {
  const index = join(root, 'dist/web/index.html');
  return existsSync(index) && statSync(index).mtimeMs >= newest(join(root, 'src/web'));
};

/** Builds at most once at a time: e2e files run in parallel, and a build empties dist/web first. */
export async function ensureConsoleBuilt(): Promise<void> {
  if (fresh()) return;
  const lock = join(root, 'dist/.web-build-lock');
  mkdirSync(join(root, 'dist'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Someone else builds; a lock older than two minutes is left over from a killed run.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 120_000)
        rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (!fresh()) build();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function build(): void {
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      'src/web/vite.config.ts',
      '--logLevel',
      'warn',
    ],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}
