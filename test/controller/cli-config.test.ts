// `monban controller run --config FILE` refuses a malformed or inconsistent file before it opens
// any port or even looks for its enrollment: exit 2, with the file, the line, the field and the reason.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = new URL('../../bin/monban.js', import.meta.url).pathname;
const example = readFileSync(new URL('../../examples/controller.yaml', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'monban-ctl-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function controllerRun(config: string): Promise<{ code: number; stderr: string }> {
  const file = join(dir, 'controller.yaml');
  writeFileSync(file, config);
  try {
    await run(
      process.execPath,
      [bin, 'controller', 'run', '--config', file, '--data-dir', join(dir, 'data')],
      {
        timeout: 60_000,
      },
    );
    return { code: 0, stderr: '' };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('monban controller run --config', () => {
  it('refuses a serial port that does not exist, naming the file, line and field', async () => {
    const { code, stderr } = await controllerRun(example.replace('/dev/ttyUSB0', '/dev/ttyMONBAN-NONE'));
    expect(code).toBe(2);
    const line = example.split('\n').findIndex((l) => l.includes('/dev/ttyUSB0')) + 1;
    expect(stderr).toContain(
      `controller.yaml:${line}: buses[0].serial: /dev/ttyMONBAN-NONE does not exist (is the RS-485 adapter plugged in?)`,
    );
  }, 70_000);
});
