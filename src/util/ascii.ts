/**
 * Copies a short ASCII string into `target` at `at`, byte by byte (for a
 * few dozen bytes, cheaper than a UTF-8 length scan plus a native write);
 * -1 as soon as a character is not ASCII, or is CR or LF when `line`.
 * Returns the end offset. The caller has made the room. Used by the RESP
 * reply encoder and the journal's record encoder (ids, queue names).
 */
export function copyShortAscii(s: string, target: Uint8Array, at: number, line: boolean): number {
  let p = at;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f || (line && (c === 13 || c === 10))) return -1;
    target[p++] = c;
  }
  return p;
}

/** A-Z to a-z, every other byte as it is: what `toLowerCase` does to latin1 text below 0x80 (command names, option words) */
export function lowerAscii(byte: number): number {
  return byte >= 65 && byte <= 90 ? byte | 32 : byte;
}
