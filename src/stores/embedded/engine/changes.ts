/** The engine's changes are the store-agnostic ones (src/core/changes.ts). */
export type { Change as EngineChange } from "../../../core/changes.js";
