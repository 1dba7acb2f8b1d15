import { BrokerError } from "../../broker.js";

/** Argument decoding shared by every RESP dialect. */

export function str(arg: Buffer): string {
  return arg.toString("utf8");
}

/** ASCII lower-case of a short option word. */
export function word(arg: Buffer): string {
  return arg.toString("latin1").toLowerCase();
}

export function errorOf(message: string): BrokerError {
  return new BrokerError("ERR", message);
}

export const SYNTAX_ERROR = "syntax error";
export const NOT_INTEGER = "value is not an integer or out of range";

const INTEGER = /^-?(0|[1-9][0-9]{0,17})$/;

/** Parses a strict decimal integer like Redis's string2ll; undefined when it is not one. */
export function parseIntArg(arg: Buffer | undefined): number | undefined {
  if (arg === undefined || arg.length === 0 || arg.length > 19) return undefined;
  const text = arg.toString("latin1");
  if (!INTEGER.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

export function intOrFail(arg: Buffer | undefined, message = NOT_INTEGER): number {
  const value = parseIntArg(arg);
  if (value === undefined) throw errorOf(message);
  return value;
}

/** A millisecond time-out: 0 = forever. */
export function timeoutArg(arg: Buffer): number {
  const value = parseIntArg(arg);
  if (value === undefined) throw errorOf("timeout is not an integer or out of range");
  if (value < 0) throw errorOf("timeout is negative");
  return value;
}

export function idsOf(args: Buffer[], from: number): string[] {
  const ids: string[] = [];
  for (let i = from; i < args.length; i++) ids.push(args[i]!.toString("latin1"));
  return ids;
}
