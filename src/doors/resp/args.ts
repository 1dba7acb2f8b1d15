import { BrokerError } from "../../core/contract.js";
import {
  MAX_INTEGER_TEXT,
  MAX_QUEUE_NAME_BYTES,
  MAX_TIMEOUT_MS,
  badQueueName,
  checkQueueName,
  inRange,
  integerText,
  parseInteger,
} from "../../core/limits.js";

/** Argument decoding shared by every RESP dialect. */

export function str(arg: Buffer): string {
  return arg.toString("utf8");
}

/**
 * ASCII lower-case of an option word (NOHANG, FROM, WITHCOUNTERS …).
 * Commands read one or more per request, and making the string then its
 * lower-case copy cost ~130 ns a word; so the words seen last are kept in
 * a small direct-mapped table (WORD_SLOTS entries of up to WORD_BYTES
 * bytes, a fixed few KiB however many distinct words clients send), and a
 * word found there is compared byte by byte and its string reused (~35 ns).
 */
export function word(arg: Buffer): string {
  const length = arg.length;
  if (length === 0 || length > WORD_BYTES) return arg.toString("latin1").toLowerCase();
  let hash = length;
  for (let i = 0; i < length; i++) hash = (Math.imul(hash, 31) + lowerAscii(arg[i]!)) | 0;
  const slot = (hash ^ (hash >>> 8)) & (WORD_SLOTS - 1);
  const base = slot * WORD_BYTES;
  if (wordLengths[slot] === length) {
    let i = 0;
    while (i < length && wordBytes[base + i] === lowerAscii(arg[i]!)) i++;
    if (i === length) return wordTexts[slot]!;
  }
  const text = arg.toString("latin1").toLowerCase();
  for (let i = 0; i < length; i++) wordBytes[base + i] = lowerAscii(arg[i]!);
  wordLengths[slot] = length;
  wordTexts[slot] = text;
  return text;
}

const WORD_SLOTS = 256;
const WORD_BYTES = 16;
const wordBytes = new Uint8Array(WORD_SLOTS * WORD_BYTES);
const wordLengths = new Uint8Array(WORD_SLOTS);
const wordTexts: string[] = new Array<string>(WORD_SLOTS).fill("");

/** A-Z to a-z; every other byte as it is (what toLowerCase does to latin1 text below 0x80) */
function lowerAscii(byte: number): number {
  return byte >= 65 && byte <= 90 ? byte | 32 : byte;
}

export function errorOf(message: string): BrokerError {
  return new BrokerError("ERR", message);
}

export const SYNTAX_ERROR = "syntax error";
export const NOT_INTEGER = "value is not an integer or out of range";

/** Parses a strict decimal integer like Redis's string2ll; undefined when it is not one. */
export function parseIntArg(arg: Buffer | undefined): number | undefined {
  if (arg === undefined || arg.length === 0 || arg.length > 19) return undefined;
  return parseInteger(arg.toString("latin1"));
}

export function intOrFail(arg: Buffer | undefined, message = NOT_INTEGER): number {
  const value = parseIntArg(arg);
  if (value === undefined) throw errorOf(message);
  return value;
}

/**
 * A strict integer in min..max (engine/limits.ts): `notInteger` when the
 * argument is no integer, `tooLow` below the range, "NAME must be at most
 * MAX" above it.
 */
export function boundedArg(
  arg: Buffer | undefined,
  name: string,
  min: number,
  max: number,
  tooLow: string,
  notInteger = tooLow,
  tooHigh?: string,
): number {
  const value = arg === undefined ? undefined : integerArg(arg);
  if (value === undefined) throw errorOf(notInteger);
  return inRange(value, name, min, max, tooLow, tooHigh);
}

/** digits read from the bytes: every integer this short is exact in a double */
const SHORT_INTEGER = 15;

/**
 * integerText of the argument's text. A short one (every ADDJOB's time-out,
 * TTLs, counts) is read from its bytes, with no string made: the same rule,
 * an optional "-" then digits without a leading zero.
 */
function integerArg(arg: Buffer): number | undefined {
  const length = arg.length;
  if (length === 0 || length > SHORT_INTEGER)
    return integerText(arg.toString("latin1", 0, MAX_INTEGER_TEXT + 1));
  const negative = arg[0] === 45; /* - */
  let i = negative ? 1 : 0;
  if (i === length || (arg[i] === 48 /* 0 */ && length - i > 1)) return undefined;
  let value = 0;
  for (; i < length; i++) {
    const digit = arg[i]! - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/** A millisecond time-out: 0 = forever. */
export function timeoutArg(arg: Buffer): number {
  return boundedArg(
    arg,
    "timeout",
    0,
    MAX_TIMEOUT_MS,
    "timeout is negative",
    "timeout is not an integer or out of range",
  );
}

/** A queue name, checked against the one rule of every door (engine/limits.ts). */
export function queueArg(arg: Buffer): string {
  // Refused before decoding: a 16 MiB argument is not turned into a string.
  if (arg.length > MAX_QUEUE_NAME_BYTES) throw badQueueName();
  const name = str(arg);
  checkQueueName(name);
  return name;
}

export function idsOf(args: Buffer[], from: number): string[] {
  const ids: string[] = [];
  for (let i = from; i < args.length; i++) ids.push(args[i]!.toString("latin1"));
  return ids;
}
