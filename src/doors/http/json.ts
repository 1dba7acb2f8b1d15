import type { FastifyInstance } from "fastify";
import { MAX_JSON_DEPTH } from "../../core/limits.js";
import { HttpError } from "./errors.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * True when arrays and objects in `text` nest deeper than `max`: one linear
 * pass counting brackets outside strings, stopping as soon as it is. Run
 * before JSON.parse so that a 200,000-deep body never reaches the recursive
 * code after it (validation, JSON.stringify), which would overflow the stack.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

export function checkJsonDepth(text: string): void {
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new HttpError("BADREQUEST", `request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
}

/** JSON.parse with the depth limit; a syntax error is a 400. */
export function parseJsonBody(text: string): unknown {
  checkJsonDepth(text);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError("BADREQUEST", "request body is not valid JSON");
  }
}

/**
 * Replaces fastify's application/json parser with the same parser (it
 * refuses `__proto__` and `constructor` keys) behind the depth limit.
 */
export function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body as string;
    try {
      checkJsonDepth(text);
    } catch (error) {
      done(error as HttpError, undefined);
      return;
    }
    parse(request, text, done);
  });
}
