/**
 * The two messages between the listener and a shard, each one transferable
 * ArrayBuffer per listener turn (postMessage moves it, no copy):
 *
 * - requests: `u32 count`, then per command `u32 argc` and per argument
 *   `u32 length` + its bytes (the listener's parsed arguments, re-framed);
 * - replies: `u32 count`, `u32 end[count]` (each reply's end in the data),
 *   then the RESP bytes of every reply, in request order.
 *
 * Integers are little-endian. A fresh ArrayBuffer is allocated for every
 * message: Node's pooled Buffers share one, which a transfer would detach.
 */

/** Collects one turn's commands for one shard. */
export class RequestBatch {
  private readonly commands: Buffer[][] = [];
  private bytes = 4;

  get size(): number {
    return this.commands.length;
  }

  add(args: Buffer[]): void {
    this.commands.push(args);
    this.bytes += 4 + 4 * args.length;
    for (const arg of args) this.bytes += arg.length;
  }

  /** The message to transfer. */
  encode(): ArrayBuffer {
    const ab = new ArrayBuffer(this.bytes);
    const out = Buffer.from(ab);
    let at = out.writeUInt32LE(this.commands.length, 0);
    for (const args of this.commands) {
      at = out.writeUInt32LE(args.length, at);
      for (const arg of args) {
        at = out.writeUInt32LE(arg.length, at);
        at += arg.copy(out, at);
      }
    }
    return ab;
  }
}

/** The commands of a request message, as views into it. */
export function decodeRequests(ab: ArrayBuffer): Buffer[][] {
  const buf = Buffer.from(ab);
  const count = buf.readUInt32LE(0);
  const commands: Buffer[][] = new Array<Buffer[]>(count);
  let at = 4;
  for (let i = 0; i < count; i++) {
    const argc = buf.readUInt32LE(at);
    at += 4;
    const args: Buffer[] = new Array<Buffer>(argc);
    for (let j = 0; j < argc; j++) {
      const len = buf.readUInt32LE(at);
      at += 4;
      args[j] = buf.subarray(at, at + len);
      at += len;
    }
    commands[i] = args;
  }
  return commands;
}

/** A reply message from the encoded replies (`chunks`, `total` bytes) and each reply's end offset. */
export function encodeReplies(ends: number[], chunks: Buffer[], total: number): ArrayBuffer {
  const head = 4 + 4 * ends.length;
  const ab = new ArrayBuffer(head + total);
  const out = Buffer.from(ab);
  let at = out.writeUInt32LE(ends.length, 0);
  for (const end of ends) at = out.writeUInt32LE(end, at);
  for (const chunk of chunks) at += chunk.copy(out, at);
  return ab;
}

/** The replies of a reply message, as views into it. */
export function decodeReplies(ab: ArrayBuffer): Buffer[] {
  const buf = Buffer.from(ab);
  const count = buf.readUInt32LE(0);
  const data = 4 + 4 * count;
  const replies: Buffer[] = new Array<Buffer>(count);
  let start = data;
  for (let i = 0; i < count; i++) {
    const end = data + buf.readUInt32LE(4 + 4 * i);
    replies[i] = buf.subarray(start, end);
    start = end;
  }
  return replies;
}
