// One import for everything about message contents: code points, commands and replies.
export * from './codes.ts';
export * from './commands.ts';
export * from './replies.ts';
