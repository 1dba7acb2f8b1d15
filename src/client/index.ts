/**
 * `import { connect, Worker } from "docket/client"`: the client library.
 * It depends on ioredis only, never on the server's modules.
 */
export { Client, connect, type ClientOptions } from "./jobs.js";
export { backoffText, decode, encode, parseRateLimitText, rateLimitText } from "./codec.js";
export { Schedules } from "./schedules.js";
export {
  TimeoutError,
  type AckOptions,
  type Attempt,
  type Backoff,
  type DeadLetter,
  type DeadLetterDetails,
  type DeadLetterSelection,
  type Decode,
  type ExplainConsumer,
  type Explanation,
  type FailureCause,
  type Job,
  type JobConfig,
  type JobDetails,
  type JobState,
  type NackOptions,
  type PauseState,
  type QueueCounts,
  type QueuePolicy,
  type QueuePolicyChange,
  type QueueStats,
  type RateLimit,
  type Schedule,
  type ScheduleTemplate,
  type ScheduleTiming,
  type WaitOutcome,
  type WaitResult,
} from "./types.js";
export { ConnectionError, DocketError, parseAddress, type ConnectionOptions } from "./connection.js";
export { RunTimeoutError, Worker, backoffDelay, type Handler, type WorkerOptions } from "./worker.js";
