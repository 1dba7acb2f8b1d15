import type { Arguments } from "./transport/arguments.js";
import type { BackoffPolicy, DeadLetterSelection, NackOptions } from "../../core/contract.js";
import { checkNackOptions, parseBackoff } from "../../core/failures.js";
import { MAX_COUNT, MAX_DELAY_MS, MAX_ERROR_BYTES } from "../../core/limits.js";
import { SYNTAX_ERROR, boundedArg, boundedBuffer, errorOf, idsOf, word } from "./args.js";

/**
 * The arguments of docket's failure extensions (docs/failures.md, "Wire
 * syntax"): each number range-checked here, with an error naming it.
 */

export const RETRIES_RULE = "RETRIES must be a non negative integer";
export const RUNTIMEOUT_RULE = "RUNTIMEOUT must be a positive number of ms";
export const DEADLETTER_CAP_RULE = "DEADLETTER-CAP must be a non negative integer";

export function retriesArg(arg: Buffer | undefined): number {
  return boundedBuffer(arg, "RETRIES", 0, MAX_COUNT, RETRIES_RULE);
}

export function runTimeoutArg(arg: Buffer | undefined): number {
  return boundedBuffer(arg, "RUNTIMEOUT", 1, MAX_DELAY_MS, RUNTIMEOUT_RULE);
}

export function deadLetterCapArg(arg: Buffer | undefined): number {
  return boundedBuffer(arg, "DEADLETTER-CAP", 0, MAX_COUNT, DEADLETTER_CAP_RULE);
}

/** A backoff policy's text form (core/failures.ts parseBackoff, whose error states the rule). */
export function backoffArg(arg: Buffer | undefined): BackoffPolicy {
  if (arg === undefined) throw errorOf(SYNTAX_ERROR);
  // no policy is this long: refused without decoding a large argument
  return parseBackoff(arg.length > 64 ? "-" : arg.toString("latin1"));
}

/**
 * An ERROR text as kept: only its first MAX_ERROR_BYTES (and a character's
 * tail) are decoded; the store cuts it at a character boundary (keptError).
 */
function errorTextArg(arg: Buffer): string {
  return arg.toString("utf8", 0, Math.min(arg.length, MAX_ERROR_BYTES + 4));
}

const NACK_OPTIONS = new Set(["delay", "backoff", "error", "timedout", "retries"]);

/** Where a list of ids ends: at the first of `keywords` (no job id is one), else at the end. */
function idsEnd(args: Arguments, from: number, keywords: ReadonlySet<string>): number {
  for (let i = from; i < args.length; i++) {
    // a keyword is short: a 40-byte id is never lower-cased to look
    if (args.byteLength(i) <= 10 && keywords.has(word(args, i))) return i;
  }
  return args.length;
}

/**
 * NACK id … [DELAY ms] [BACKOFF] [ERROR text] [TIMEDOUT] [RETRIES n]: the
 * ids end at the first option; no option at all is Disque's plain NACK
 * (options undefined).
 */
export function parseNack(args: Arguments): { ids: string[]; options: NackOptions | undefined } {
  const end = idsEnd(args, 1, NACK_OPTIONS);
  const ids = idsOf(args, 1, end);
  if (end === args.length) return { ids, options: undefined };
  const options: NackOptions = {};
  for (let i = end; i < args.length; i++) {
    const option = word(args, i);
    if (option === "delay" && i + 1 < args.length) {
      options.delayMs = boundedArg(
        args,
        ++i,
        "DELAY",
        0,
        MAX_DELAY_MS,
        "DELAY must be a non negative number of ms",
      );
    } else if (option === "backoff") options.backoff = true;
    else if (option === "error" && i + 1 < args.length) options.error = errorTextArg(args.at(++i)!);
    else if (option === "timedout") options.timedOut = true;
    else if (option === "retries" && i + 1 < args.length) options.retries = retriesArg(args.at(++i));
    else throw errorOf(SYNTAX_ERROR);
  }
  if (options.delayMs !== undefined && options.backoff)
    throw errorOf("NACK takes DELAY or BACKOFF, not both");
  checkNackOptions(options);
  return { ids, options };
}

const ACK_OPTIONS = new Set(["result"]);

/** ACKJOB id … [RESULT bytes]: the result's own copy (arguments are spans of the input). */
export function parseAck(args: Arguments, maxBytes: number): { ids: string[]; result: Buffer | undefined } {
  const end = idsEnd(args, 1, ACK_OPTIONS);
  const ids = idsOf(args, 1, end);
  if (end === args.length) return { ids, result: undefined };
  if (end + 2 !== args.length) throw errorOf(SYNTAX_ERROR);
  const resultBytes = args.byteLength(end + 1);
  if (resultBytes > maxBytes) {
    throw errorOf(`result too big: ${resultBytes} bytes, the limit is ${maxBytes}`);
  }
  return { ids, result: args.copy(end + 1) };
}

/** `[count | IDS id …]` of REDRIVE and DEADPURGE, from `args.at(from)` on; no count: all. */
export function selectionArgs(args: Arguments, from: number): DeadLetterSelection {
  if (from >= args.length) return { count: MAX_COUNT };
  if (word(args, from) === "ids") {
    if (from + 1 >= args.length) throw errorOf(SYNTAX_ERROR);
    return { ids: idsOf(args, from + 1) };
  }
  if (from + 1 !== args.length) throw errorOf(SYNTAX_ERROR);
  return { count: boundedArg(args, from, "count", 1, MAX_COUNT, "count must be a positive integer") };
}
