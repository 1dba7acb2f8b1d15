import { parentPort, workerData } from "node:worker_threads";
import { Shard } from "./shard.js";

/** A shard in a worker thread: one reply message per request message, transferred back. */
const shard = new Shard((workerData as { index: number }).index);
const port = parentPort!;
port.on("message", (requests: ArrayBuffer) => {
  const replies = shard.run(requests);
  port.postMessage(replies, [replies]);
});
