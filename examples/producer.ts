// Adds a job, then waits until a worker has acknowledged it, and prints the worker's result.
// Run: node --import tsx examples/producer.ts   (DOCKET_SERVER=host:port, default 127.0.0.1:7711)
import { connect } from "docket/client";

const jobs = connect(process.env.DOCKET_SERVER ?? "127.0.0.1:7711");
jobs.use({ ttl: 3_600_000 }); // every job of this client lives at most an hour

const job = await jobs.retryAfter(60_000).add({ to: "bob@example.com", subject: "hi" }, "emails");
console.log(`added ${job.id}`);

const { outcome, result } = await jobs.with({ timeout: 30_000 }).wait(job);
console.log(`job ${job.id} ${outcome}`);
if (result !== undefined) console.log(`result ${JSON.stringify(result)}`);
jobs.close();
