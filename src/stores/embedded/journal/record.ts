/**
 * The record format (format.ts: frame, tags, record types), its encoder
 * (encode.ts) and decoder (decode.ts), imported from one place.
 */
export * from "./format.js";
export * from "./encode.js";
export * from "./decode.js";
