// Runs `monban …` in-process as the command line does, collecting what it prints (stdout and
// stderr) and its exit code; a thrown error counts as exit 1 with its message printed.
import { vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';

export async function cli(argv: string[]): Promise<{ code: number; out: string }> {
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  });
  try {
    const code = await main(argv);
    return { code: code || Number(process.exitCode ?? 0), out: printed.join('\n') };
  } catch (error) {
    return { code: 1, out: `${printed.join('\n')}${(error as Error).message}` };
  } finally {
    log.mockRestore();
    err.mockRestore();
    process.exitCode = 0;
  }
}
