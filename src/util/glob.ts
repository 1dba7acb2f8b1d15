/**
 * Glob-style matching with Redis's `stringmatchlen` semantics: `*` any run,
 * `?` any one character, `[abc]`, `[^a]`, `[a-z]` (reversed ranges swap),
 * `\x` a literal x; an unterminated class runs to the end of the pattern.
 *
 * Unlike Redis's recursive matcher (and a regex), it never backtracks more
 * than to the last star: the pattern is compiled to one-character tokens
 * and matched with two cursors, O(pattern × text) in the worst case, so
 * `**************!` costs no more than `*!`.
 */

type Token =
  | { kind: "star" }
  | { kind: "any" }
  | { kind: "char"; code: number }
  | { kind: "class"; negate: boolean; ranges: number[] /* lo, hi pairs */ };

const BACKSLASH = 0x5c;
const CARET = 0x5e;
const CLOSE = 0x5d;
const DASH = 0x2d;

/** one token per position of the pattern, consecutive stars collapsed */
function compile(pattern: string): Token[] {
  const tokens: Token[] = [];
  const n = pattern.length;
  let i = 0;
  while (i < n) {
    const c = pattern.charCodeAt(i);
    if (c === 0x2a /* * */) {
      if (tokens.at(-1)?.kind !== "star") tokens.push({ kind: "star" });
      i++;
    } else if (c === 0x3f /* ? */) {
      tokens.push({ kind: "any" });
      i++;
    } else if (c === 0x5b /* [ */) {
      i = compileClass(pattern, i + 1, tokens);
    } else {
      // a trailing backslash stands for itself, as in Redis
      if (c === BACKSLASH && i + 1 < n) i++;
      tokens.push({ kind: "char", code: pattern.charCodeAt(i) });
      i++;
    }
  }
  return tokens;
}

/** Reads a class from just after its `[`: the index after its `]` (or the pattern's end). */
function compileClass(pattern: string, from: number, tokens: Token[]): number {
  const n = pattern.length;
  let i = from;
  const negate = i < n && pattern.charCodeAt(i) === CARET;
  if (negate) i++;
  const ranges: number[] = [];
  while (i < n) {
    const c = pattern.charCodeAt(i);
    if (c === BACKSLASH && i + 1 < n) {
      const escaped = pattern.charCodeAt(i + 1);
      ranges.push(escaped, escaped);
      i += 2;
    } else if (c === CLOSE) {
      i++;
      break;
    } else if (i + 2 < n && pattern.charCodeAt(i + 1) === DASH) {
      const end = pattern.charCodeAt(i + 2);
      ranges.push(Math.min(c, end), Math.max(c, end));
      i += 3;
    } else {
      ranges.push(c, c);
      i++;
    }
  }
  tokens.push({ kind: "class", negate, ranges });
  return i;
}

function matchesOne(token: Token, code: number): boolean {
  switch (token.kind) {
    case "any":
      return true;
    case "char":
      return token.code === code;
    case "class": {
      let inside = false;
      for (let r = 0; r < token.ranges.length && !inside; r += 2) {
        inside = code >= token.ranges[r]! && code <= token.ranges[r + 1]!;
      }
      return inside !== token.negate;
    }
    case "star":
      return false;
  }
}

/** ASCII-only lower case, as Redis's tolower: lengths never change. */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (run) => run.toLowerCase());
}

export class Glob {
  private readonly tokens: Token[];

  constructor(
    pattern: string,
    private readonly nocase = false,
  ) {
    this.tokens = compile(nocase ? asciiLower(pattern) : pattern);
  }

  matches(input: string): boolean {
    const text = this.nocase ? asciiLower(input) : input;
    const tokens = this.tokens;
    // Redis's loop never starts on an empty string: only the empty pattern matches it
    if (text.length === 0) return tokens.length === 0;
    let t = 0;
    let s = 0;
    // where to resume after the last star: its token index + 1 and the text it has swallowed so far
    let starToken = -1;
    let starText = 0;
    while (s < text.length) {
      const token = tokens[t];
      if (token?.kind === "star") {
        starToken = ++t;
        starText = s;
      } else if (token !== undefined && matchesOne(token, text.charCodeAt(s))) {
        t++;
        s++;
      } else if (starToken >= 0) {
        // the last star takes one more character; earlier stars never need to change
        t = starToken;
        s = ++starText;
      } else {
        return false;
      }
    }
    while (tokens[t]?.kind === "star") t++;
    return t === tokens.length;
  }
}

export function globMatch(pattern: string, input: string, nocase = false): boolean {
  return new Glob(pattern, nocase).matches(input);
}
