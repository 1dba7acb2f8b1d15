import type { Worker } from "node:worker_threads";
import { RequestBatch, decodeReplies } from "./batch.js";
import { startThread } from "./thread.js";

/**
 * The raw cost of the listener ↔ shard hop: one batch of `size` ADDJOB
 * commands framed (batch.ts), transferred to an echo worker that answers
 * each with an ADDJOB-sized reply, transferred back and cut into replies.
 * One batch in flight at a time, so each figure is a full round trip:
 * framing, two postMessage transfers and the two thread wake-ups. Wall
 * time includes waiting for a core; CPU time (process.cpuUsage, every
 * thread) is the work, which a busy machine does not inflate as much.
 */

const ECHO = new URL("./echo-worker.ts", import.meta.url);
const ADDJOB = ["ADDJOB", "bench", "b".repeat(20), "0"].map((arg) => Buffer.from(arg));

export interface RoundTrip {
  /** commands per batch; 0: the bare hop, a number sent and echoed (no framing) */
  size: number;
  /** wall time */
  microsPerBatch: number;
  microsPerCommand: number;
  /** the process's CPU time (both threads, user + system): what the hop costs a loaded machine */
  cpuMicrosPerBatch: number;
}

export class EchoThread {
  private readonly worker: Worker = startThread(ECHO, undefined);

  /** Microseconds per round trip of a `size`-command batch, over `batches` round trips after a warm-up. */
  async measure(size: number, batches: number): Promise<RoundTrip> {
    await this.run(size, Math.max(1000, batches / 10));
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await this.run(size, batches);
    const micros = ((performance.now() - started) * 1000) / batches;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMicros = (cpu.user + cpu.system) / batches;
    const perCommand = size > 0 ? micros / size : NaN;
    return { size, microsPerBatch: micros, microsPerCommand: perCommand, cpuMicrosPerBatch: cpuMicros };
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }

  private run(size: number, batches: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let left = batches;
      const send = () => {
        if (size === 0) return this.worker.postMessage(0);
        const batch = new RequestBatch();
        for (let i = 0; i < size; i++) batch.add(ADDJOB);
        const message = batch.encode();
        this.worker.postMessage(message, [message]);
      };
      const answered = (message: ArrayBuffer | number) => {
        const count = typeof message === "number" ? 0 : decodeReplies(message).length;
        if (count !== size) {
          reject(new Error(`the echo answered a batch of ${size} with another count`));
        } else if (--left > 0) send();
        else {
          this.worker.off("message", answered);
          resolve();
        }
      };
      this.worker.on("message", answered);
      send();
    });
  }
}
