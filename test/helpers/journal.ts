import type { StoredJob } from "../../src/engine/index.js";

/** A job as the journal stores it, with test defaults. */
export function storedJob(overrides: Partial<StoredJob> = {}): StoredJob {
  return {
    id: "D-0123abcd-AAAAAAAAAAAAAAAAAAAAAAAA-05a1",
    seq: 7,
    queue: "emails",
    body: Buffer.from("send the welcome mail"),
    createdAt: 1_700_000_000_123,
    ttl: 86400,
    retry: 300,
    delay: 0,
    repl: 1,
    rank: 7,
    nacks: 0,
    additionalDeliveries: 0,
    awakeAt: 0,
    ...overrides,
  };
}
