// Secure card credentials: a standalone library (imports nothing else from Monban). See docs/cards.md.
export * from './card-link.ts';
export * from './credential.ts';
export * from './diversify.ts';
export * from './encode.ts';
export * from './reader.ts';
export * from './wiegand.ts';
