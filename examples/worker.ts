// Handles jobs from "emails" (first) and "reports", ten at a time; stops cleanly on SIGTERM/SIGINT.
// Run: node --import tsx examples/worker.ts   (DOCKET_SERVER=host:port, default 127.0.0.1:7711)
import { Worker, type Job } from "docket/client";

interface Email {
  to: string;
  subject: string;
}

const worker = new Worker<Email>(
  ["emails", "reports"],
  async (job: Job<Email>) => {
    console.log(`sending "${job.data.subject}" to ${job.data.to}`);
    // ... do the work; throwing puts the job back in the queue
  },
  { concurrency: 10, leaseMs: 60_000, servers: [process.env.DOCKET_SERVER ?? "127.0.0.1:7711"] },
);

worker.on("completed", (job: Job) => console.log(`done ${job.id}`));
worker.on("failed", (job: Job, error: Error) => console.error(`failed ${job.id}: ${error.message}`));
worker.on("error", (error: Error) => console.error(`worker: ${error.message}`));

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void worker.close().then(() => console.log("worker stopped"));
  });
}
