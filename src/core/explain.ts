import type { PauseState } from "./contract.js";

/**
 * EXPLAIN (docs/explain.md): "why is this job not running?", answered by the
 * store from its own state. Each store gathers the facts (ExplainFacts, one
 * shape for both); `explainText` words them, in this one place, so every
 * door (RESP EXPLAIN, HTTP, CLI `docket why`, the dashboard) says the same.
 */

/** A door's client: its CLIENT ID and address. */
export interface Consumer {
  id: string;
  addr: string;
}

/** The first that applies, in this order. */
export type ExplainCause =
  | "unknown" // no such job (never added, acked without a kept result, expired)
  | "done" // acked, its result still kept
  | "dead" // in its queue's dead-letter list
  | "wait-repl" // not yet released by its producer's replication wait
  | "leased" // delivered, not acked yet
  | "backoff" // failed, waiting out its backoff
  | "delayed" // waiting out its DELAY
  | "paused" // ready, but its queue is paused for output
  | "group-limit" // ready, but held back: its group has GROUPLIMIT jobs in flight
  | "rate-limited" // ready, but its queue's rate limit allows no delivery before `until`
  | "ready"; // ready: served when its turn comes

/** A fetch remembered per queue: when, who, and on which queues it asked. */
export interface FetchRecord {
  at: number;
  consumer: Consumer;
  queues: string[];
}

/** Fetches from a queue within this window count as "recent" consumers. */
export const RECENT_FETCH_WINDOW_MS = 300_000;
/** distinct recent consumers remembered per queue (beyond it: "at least N") */
export const MAX_RECENT_FETCHERS = 64;
/** queues named in a remembered fetch */
export const MAX_FETCH_QUEUES_KEPT = 16;

export interface ExplainFacts {
  id: string;
  cause: ExplainCause;
  /** the store's clock when the facts were read; every time below is absolute ms */
  observedAt: number;
  queue?: string;
  /**
   * delayed/backoff: when it is queued; leased: when the lease runs out (0:
   * never, at-most-once); rate-limited: when the queue's next delivery is allowed
   */
  until?: number;
  /** leased */
  leasedTo?: Consumer | null;
  leasedAt?: number;
  /** leased: its last WORKING, or null when none was sent */
  lastWorkingAt?: number | null;
  /** backoff, dead: the last failed attempt */
  attempt?: number;
  error?: string;
  /** paused */
  pause?: PauseState;
  pausedSince?: number | null;
  pausedBy?: Consumer | null;
  /** group-limit: its group and the queue's GROUPLIMIT (the jobs it has in flight) */
  group?: string;
  groupLimit?: number;
  /** rate-limited: the queue's rate limit, in its text form (e.g. "100/1s") */
  rateLimit?: string;
  /** ready, paused, group-limit, rate-limited: 1-based place in the ready list, of `ready` jobs */
  position?: number;
  ready?: number;
  /** ready, paused: distinct consumers that fetched from the queue within RECENT_FETCH_WINDOW_MS (capped) */
  recentFetchers?: number;
  lastFetch?: FetchRecord | null;
  /** dead */
  deadReason?: string;
  deadAt?: number;
  /** done */
  completedAt?: number;
}

export interface JobExplanation extends ExplainFacts {
  text: string;
}

function clock(at: number): string {
  return new Date(at).toISOString().slice(11, 19);
}

function seconds(ms: number): string {
  return `${Math.max(0, Math.round(ms / 1000))} s`;
}

function who(consumer: Consumer | null | undefined): string {
  return consumer ? `client ${consumer.id} (${consumer.addr})` : "a client that has gone";
}

function fetchers(f: ExplainFacts): string {
  const n = f.recentFetchers ?? 0;
  const count = n >= MAX_RECENT_FETCHERS ? `at least ${n}` : String(n);
  const last = f.lastFetch
    ? `the last fetch was from ${f.lastFetch.consumer.addr} on queues [${f.lastFetch.queues.join(", ")}] ${seconds(f.observedAt - f.lastFetch.at)} ago`
    : "nobody has fetched from it since the server started";
  return `${count} consumer${n === 1 ? " has" : "s have"} fetched from this queue in the last ${RECENT_FETCH_WINDOW_MS / 60_000} min; ${last}`;
}

/** The one sentence every door shows (times in UTC). */
export function explainText(f: ExplainFacts): string {
  const now = f.observedAt;
  switch (f.cause) {
    case "unknown":
      return "no such job: never added, or acked (no result kept), deleted or expired";
    case "done":
      return `done: acked at ${clock(f.completedAt ?? now)}; its result is kept`;
    case "dead":
      return `dead since ${clock(f.deadAt ?? now)} (${f.deadReason ?? "dead-lettered"})${f.error ? `; last error: ${f.error}` : ""}`;
    case "wait-repl":
      return "waiting for its producer's replication (WAIT) before it can be delivered";
    case "leased": {
      const until = f.until
        ? ` until ${clock(f.until)} (${seconds(f.until - now)})`
        : " (at-most-once: never re-queued)";
      const working =
        f.lastWorkingAt != null
          ? `it sent WORKING ${seconds(now - f.lastWorkingAt)} ago`
          : "it has not sent WORKING";
      return `leased to ${who(f.leasedTo)}${until}; ${working}`;
    }
    case "backoff":
      return `backing off after attempt ${f.attempt ?? 0}${f.error ? ` (error: ${f.error})` : ""}; queued again at ${clock(f.until ?? now)} (${seconds((f.until ?? now) - now)})`;
    case "delayed":
      return `delayed until ${clock(f.until ?? now)} (${seconds((f.until ?? now) - now)})`;
    case "paused":
      return `queue paused ${f.pause ?? "out"}${f.pausedSince != null ? ` since ${clock(f.pausedSince)}` : ""}${f.pausedBy ? ` by ${who(f.pausedBy)}` : ""}; position ${f.position ?? 0} of ${f.ready ?? 0}`;
    case "group-limit":
      return `held back: its group ${f.group === "" || f.group === undefined ? "(ungrouped jobs)" : f.group} has ${f.groupLimit ?? 0} job${f.groupLimit === 1 ? "" : "s"} in flight, the queue's GROUPLIMIT; position ${f.position ?? 0} of ${f.ready ?? 0}`;
    case "rate-limited":
      // slots are often ms apart: the wait in ms, as the issue words it ("next slot in 200 ms")
      return `rate-limited (${f.rateLimit ?? "?"}): next slot in ${Math.max(0, (f.until ?? now) - now)} ms, at ${clock(f.until ?? now)}; position ${f.position ?? 0} of ${f.ready ?? 0}`;
    case "ready":
      return `ready, position ${f.position ?? 0} of ${f.ready ?? 0}; ${fetchers(f)}`;
  }
}

export function explanation(facts: ExplainFacts): JobExplanation {
  return { ...facts, text: explainText(facts) };
}
