// Handles jobs from "emails" (first) and "reports", ten at a time; stops cleanly on SIGTERM/SIGINT.
// Run: node --import tsx examples/worker.ts   (DOCKET_SERVER=host:port, default 127.0.0.1:7711)
import { Worker, type Job } from "docket/client";

interface Email {
  to: string;
  subject: string;
}

const worker = new Worker<Email, { sentAt: string }>(
  ["emails", "reports"],
  async (job: Job<Email>, signal: AbortSignal) => {
    console.log(`sending "${job.data.subject}" to ${job.data.to}`);
    // ... do the work, giving up when `signal` aborts; throwing retries the job after a backoff
    signal.throwIfAborted();
    return { sentAt: new Date().toISOString() }; // the job's result: the producer's wait() gets it
  },
  {
    concurrency: 10,
    leaseMs: 60_000,
    retries: 5, // then the job is a dead letter: `docket deadletters emails`, `docket redrive emails --all`
    backoff: { type: "exponential", delay: 1000, max: 60_000, jitter: true },
    runTimeout: 30_000, // a handler still running after 30 s is aborted and its job retried
    servers: [process.env.DOCKET_SERVER ?? "127.0.0.1:7711"],
  },
);

worker.on("completed", (job: Job) => console.log(`done ${job.id}`));
worker.on("failed", (job: Job, error: Error) => console.error(`failed ${job.id}: ${error.message}`));
worker.on("dead", (job: Job) => console.error(`dead letter ${job.id}`));
worker.on("error", (error: Error) => console.error(`worker: ${error.message}`));

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void worker.close().then(() => console.log("worker stopped"));
  });
}
