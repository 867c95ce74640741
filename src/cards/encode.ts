// Kept for existing importers (controller integration tests): the encoding flow lives in encode-card.ts.
export { type EncodeOptions, type EncodeResult, encodeCard } from './encode-card.ts';
