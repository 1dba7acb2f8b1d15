import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { Broker } from "../../core/contract.js";
import { MAX_SCAN_COUNT } from "../../core/listing-limits.js";

/**
 * The names of the queues that hold jobs now (waiting, delivered or
 * delayed), one QSCAN page at a time, serving the other clients between
 * pages. A queue that is empty, or that was only waited on, is left out.
 */
export async function queuesHoldingJobs(broker: Broker): Promise<string[]> {
  const names: string[] = [];
  let cursor = 0;
  do {
    const page = await broker.qscan(cursor, { count: MAX_SCAN_COUNT, busyloop: false });
    for (const row of await broker.queueCounts(page.items)) if (row.total > 0) names.push(row.name);
    cursor = page.cursor;
    if (cursor !== 0) await yieldToLoop();
  } while (cursor !== 0);
  return names;
}
