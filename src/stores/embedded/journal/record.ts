/**
 * The record format (format.ts: frame, tags, record types), its encoder
 * (encoder.ts, encode.ts) and decoder (decode.ts, decode-fields.ts),
 * imported from one place.
 */
export * from "./format.js";
export * from "./encoder.js";
export * from "./encode.js";
export * from "./decode.js";
