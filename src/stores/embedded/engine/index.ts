export { Engine, type EngineOptions, QUEUE_IDLE_GC_MS } from "./engine.js";
export { ManualClock, systemClock, type Clock } from "../../../core/clock.js";
export type { EngineChange } from "./changes.js";
export { DEFAULT_TTL_SECONDS, defaultRetrySeconds } from "../../../core/validate.js";
export type { StoredJob } from "./restore.js";
