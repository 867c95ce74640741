#!/usr/bin/env node
// Entry point for `monban` / `npx monban`. The sources are TypeScript; tsx compiles them on load.
import { register } from 'tsx/esm/api';

register();
// Output piped into `head` and the like: a closed pipe ends the program quietly, as in any CLI.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
