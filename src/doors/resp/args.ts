import { BrokerError } from "../../core/contract.js";
import { lowerAscii } from "../../util/ascii.js";
import { Arguments } from "./transport/arguments.js";
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

/**
 * Argument decoding shared by every RESP dialect. Each reader takes the
 * request's arguments and an index, and reads the argument's bytes where
 * they are (transport/arguments.ts): no Buffer view is made.
 */

export function str(args: Arguments, i: number): string {
  return args.utf8(i);
}

/**
 * ASCII lower-case of an option word (NOHANG, FROM, WITHCOUNTERS …).
 * Commands read one or more per request, and making the string then its
 * lower-case copy cost ~130 ns a word; so the words seen last are kept in
 * a small direct-mapped table (WORD_SLOTS entries of up to WORD_BYTES
 * bytes, a fixed few KiB however many distinct words clients send), and a
 * word found there is compared byte by byte and its string reused (~35 ns).
 */
export function word(args: Arguments, i: number): string {
  return wordIn(args.bytesOf(i), args.fromOf(i), args.toOf(i));
}

/** word() of a whole Buffer */
export function wordOf(arg: Buffer): string {
  return wordIn(arg, 0, arg.length);
}

function wordIn(bytes: Buffer, from: number, to: number): string {
  const length = to - from;
  if (length === 0 || length > WORD_BYTES) return bytes.toString("latin1", from, to).toLowerCase();
  let hash = length;
  for (let i = from; i < to; i++) hash = (Math.imul(hash, 31) + lowerAscii(bytes[i]!)) | 0;
  const slot = (hash ^ (hash >>> 8)) & (WORD_SLOTS - 1);
  const base = slot * WORD_BYTES - from;
  if (wordLengths[slot] === length) {
    let i = from;
    while (i < to && wordBytes[base + i] === lowerAscii(bytes[i]!)) i++;
    if (i === to) return wordTexts[slot]!;
  }
  const text = bytes.toString("latin1", from, to).toLowerCase();
  for (let i = from; i < to; i++) wordBytes[base + i] = lowerAscii(bytes[i]!);
  wordLengths[slot] = length;
  wordTexts[slot] = text;
  return text;
}

const WORD_SLOTS = 256;
const WORD_BYTES = 16;
const wordBytes = new Uint8Array(WORD_SLOTS * WORD_BYTES);
const wordLengths = new Uint8Array(WORD_SLOTS);
const wordTexts: string[] = new Array<string>(WORD_SLOTS).fill("");

export function errorOf(message: string): BrokerError {
  return new BrokerError("ERR", message);
}

export const SYNTAX_ERROR = "syntax error";
export const NOT_INTEGER = "value is not an integer or out of range";

/** Parses a strict decimal integer like Redis's string2ll; undefined when it is not one (or there is no argument i). */
export function parseIntArg(args: Arguments, i: number): number | undefined {
  if (i >= args.length) return undefined;
  const length = args.byteLength(i);
  if (length === 0 || length > 19) return undefined;
  return parseInteger(args.latin1(i));
}

export function intOrFail(args: Arguments, i: number, message = NOT_INTEGER): number {
  const value = parseIntArg(args, i);
  if (value === undefined) throw errorOf(message);
  return value;
}

/**
 * A strict integer in min..max (engine/limits.ts): `notInteger` when the
 * argument is no integer (or missing), `tooLow` below the range, "NAME must
 * be at most MAX" above it.
 */
export function boundedArg(
  args: Arguments,
  i: number,
  name: string,
  min: number,
  max: number,
  tooLow: string,
  notInteger = tooLow,
  tooHigh?: string,
): number {
  const value = i < args.length ? integerIn(args.bytesOf(i), args.fromOf(i), args.toOf(i)) : undefined;
  if (value === undefined) throw errorOf(notInteger);
  return inRange(value, name, min, max, tooLow, tooHigh);
}

/** boundedArg's name, range and messages */
type BoundRule = [
  name: string,
  min: number,
  max: number,
  tooLow: string,
  notInteger?: string,
  tooHigh?: string,
];

const NO_ARGUMENTS = Arguments.of([]);

/** boundedArg of a Buffer (an option's value already taken from the arguments), undefined when missing. */
export function boundedBuffer(arg: Buffer | undefined, ...rule: BoundRule): number {
  return boundedArg(arg === undefined ? NO_ARGUMENTS : Arguments.of([arg]), 0, ...rule);
}

/** digits read from the bytes: every integer this short is exact in a double */
const SHORT_INTEGER = 15;

/**
 * integerText of the text at bytes[from, to). A short one (every ADDJOB's
 * time-out, TTLs, counts) is read from its bytes, with no string made: the
 * same rule, an optional "-" then digits without a leading zero.
 */
function integerIn(bytes: Buffer, from: number, to: number): number | undefined {
  const length = to - from;
  if (length === 0 || length > SHORT_INTEGER)
    return integerText(bytes.toString("latin1", from, Math.min(to, from + MAX_INTEGER_TEXT + 1)));
  const negative = bytes[from] === 45; /* - */
  let i = negative ? from + 1 : from;
  if (i === to || (bytes[i] === 48 /* 0 */ && to - i > 1)) return undefined;
  let value = 0;
  for (; i < to; i++) {
    const digit = bytes[i]! - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/** A millisecond time-out: 0 = forever. */
export function timeoutArg(args: Arguments, i: number): number {
  return boundedArg(
    args,
    i,
    "timeout",
    0,
    MAX_TIMEOUT_MS,
    "timeout is negative",
    "timeout is not an integer or out of range",
  );
}

/** A queue name, checked against the one rule of every door (engine/limits.ts). */
export function queueArg(args: Arguments, i: number): string {
  // Refused before decoding: a 16 MiB argument is not turned into a string.
  if (args.byteLength(i) > MAX_QUEUE_NAME_BYTES) throw badQueueName();
  const name = args.utf8(i);
  checkQueueName(name);
  return name;
}

/** Arguments from..to (exclusive) as job ids (latin1 text: an id is ASCII, and anything else is no id). */
export function idsOf(args: Arguments, from: number, to = args.length): string[] {
  const ids = new Array<string>(Math.max(0, to - from));
  for (let i = from; i < to; i++) ids[i - from] = args.latin1(i);
  return ids;
}
