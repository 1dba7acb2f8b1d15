import { pino, type Logger } from "pino";

export type { Logger };

/** Structured logs on stderr; DOCKET_LOG_LEVEL=silent|error|warn|info|debug. */
export function createLogger(level = process.env.DOCKET_LOG_LEVEL ?? "info"): Logger {
  return pino({ level, base: { pid: process.pid } }, pino.destination(2));
}
