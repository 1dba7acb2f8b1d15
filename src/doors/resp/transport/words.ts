/**
 * The byte-level helpers of RESP requests: Redis's number parsing, the
 * splitting of inline commands into words, and owning an argument's bytes.
 */

/**
 * Redis's string2ll: an optional '-', then digits without leading zeros
 * ("0" alone is fine), nothing else. NaN when not such a number or out of
 * the 64-bit range (values are compared with limits far below 2^53).
 */
export function parseLongLong(buf: Buffer, start: number, end: number): number {
  let i = start;
  if (i >= end) return NaN;
  if (end - i === 1 && buf[i] === 48) return 0;
  let negative = false;
  if (buf[i] === 45) {
    negative = true;
    i++;
    if (i >= end) return NaN;
  }
  const first = buf[i]!;
  if (first < 49 || first > 57) return NaN;
  if (end - i > 19) return NaN;
  let value = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) return NaN;
    value = value * 10 + (c - 48);
  }
  if (value > 2 ** 63) return NaN;
  return negative ? -value : value;
}

function isSpace(c: number): boolean {
  // C isspace(): space, \t, \n, \v, \f, \r
  return c === 32 || (c >= 9 && c <= 13);
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Redis's sdssplitargs on a line: arguments separated by whitespace, in
 * "double quotes" (escapes \n \r \t \b \a \xHH, and \<c> for any other c) or
 * 'single quotes' (only \' escaped). A closing quote must be followed by
 * whitespace or the end of the line. A NUL byte ends the line, as in C.
 * Returns null on unbalanced quotes.
 */
/** The line's words separated by blanks, quotes taken literally. */
export function splitBlanks(line: Buffer): Buffer[] {
  const words: Buffer[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && (line[i] === 32 || line[i] === 9)) i++;
    const start = i;
    while (i < line.length && line[i] !== 32 && line[i] !== 9) i++;
    if (i > start) words.push(line.subarray(start, i));
  }
  return words;
}

export function splitArgs(line: Buffer): Buffer[] | null {
  const args: Buffer[] = [];
  const n = line.length;
  const at = (i: number): number => (i < n ? line[i]! : 0);
  let p = 0;
  for (;;) {
    while (p < n && isSpace(line[p]!)) p++;
    if (at(p) === 0) return args;
    const start = p;
    let current: number[] | null = null; // bytes, once a quote made a copy necessary
    let inDouble = false;
    let inSingle = false;
    for (;;) {
      const c = at(p);
      if (inDouble) {
        if (
          c === 92 /* \ */ &&
          at(p + 1) === 120 /* x */ &&
          hexValue(line[p + 2]) >= 0 &&
          hexValue(line[p + 3]) >= 0
        ) {
          current!.push(hexValue(line[p + 2]) * 16 + hexValue(line[p + 3]));
          p += 4;
        } else if (c === 92 && at(p + 1) !== 0) {
          const e = at(p + 1);
          current!.push(e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e);
          p += 2;
        } else if (c === 34 /* " */) {
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return null;
          p++;
          break;
        } else if (c === 0) {
          return null;
        } else {
          current!.push(c);
          p++;
        }
      } else if (inSingle) {
        if (c === 92 && at(p + 1) === 39 /* ' */) {
          current!.push(39);
          p += 2;
        } else if (c === 39) {
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return null;
          p++;
          break;
        } else if (c === 0) {
          return null;
        } else {
          current!.push(c);
          p++;
        }
      } else if (c === 32 || c === 10 || c === 13 || c === 9 || c === 0) {
        break;
      } else if (c === 34 || c === 39) {
        current ??= Array.from(line.subarray(start, p));
        if (c === 34) inDouble = true;
        else inSingle = true;
        p++;
      } else {
        current?.push(c);
        p++;
      }
    }
    args.push(current === null ? line.subarray(start, p) : Buffer.from(current));
  }
}
