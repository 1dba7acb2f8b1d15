import type { ExplainFacts } from "../../core/explain.js";
import { checkIds } from "../../core/job-id-check.js";
import { decodeExplain } from "./explain-replies.js";
import type { FailureCommands } from "./failures.js";
import type { QueueStore } from "./store.js";

/**
 * EXPLAIN on Redis: a kept result first ("done", its own key found from the
 * id), else the job's queue from the directory and explain-12.lua's facts.
 */
export async function explainJob(
  store: QueueStore,
  failures: FailureCommands,
  id: string,
): Promise<ExplainFacts> {
  checkIds([id]);
  const result = await failures.result(id);
  const now = store.clock.now();
  if (result)
    return { id, cause: "done", observedAt: now, queue: result.queue, completedAt: result.completedAt };
  const [queue] = await store.directory.queuesOf([id]);
  if (queue === undefined) return { id, cause: "unknown", observedAt: now };
  // this server's fetches that blocked without a take count too (fetch-notes.ts)
  await store.fetchNotes.flush(queue);
  return decodeExplain(id, queue, await store.run("explain", queue, [id]), store.clock.now());
}
