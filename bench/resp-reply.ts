/**
 * The one RESP2 reply parser of the benchmarks and the tests (bench clients,
 * the load generator, test/helpers/raw-client.ts). Lean on purpose: a bench
 * client should cost little CPU next to the server it measures.
 */

/** A RESP reply: simple string, error, integer, bulk (as a latin1 string), null or array. */
export type Reply = string | number | null | Error | Reply[];

/** The reply starting at `pos` and the offset just past it, or undefined when it is not all here yet. */
export function parseReply(buf: Buffer, pos: number): { value: Reply; end: number } | undefined {
  if (pos >= buf.length) return undefined;
  const lineEnd = buf.indexOf("\r\n", pos, "latin1");
  if (lineEnd < 0) return undefined;
  const type = buf[pos];
  const line = buf.toString("latin1", pos + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case 43: // +
      return { value: line, end: next };
    case 45: // -
      return { value: new Error(line), end: next };
    case 58: // :
      return { value: Number(line), end: next };
    case 36: {
      // $
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return undefined;
      return { value: buf.toString("latin1", next, next + len), end: next + len + 2 };
    }
    case 42: {
      // *
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const items: Reply[] = [];
      let at = next;
      for (let i = 0; i < n; i++) {
        const item = parseReply(buf, at);
        if (item === undefined) return undefined;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`not a RESP reply: ${JSON.stringify(buf.toString("latin1", pos, lineEnd))}`);
  }
}
