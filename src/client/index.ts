/**
 * `import { connect, Worker } from "docket/client"`: the client library.
 * It depends on ioredis only, never on the server's modules.
 */
export {
  Client,
  TimeoutError,
  connect,
  decode,
  encode,
  type ClientOptions,
  type Decode,
  type Job,
  type JobConfig,
  type JobDetails,
  type QueueStats,
  type WaitOutcome,
} from "./jobs.js";
export { ConnectionError, DocketError, parseAddress, type ConnectionOptions } from "./connection.js";
export { Worker, type Handler, type WorkerOptions } from "./worker.js";
