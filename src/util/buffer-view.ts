/**
 * `buf[start, end)` as a Buffer sharing `buf`'s memory: what
 * `buf.subarray(start, end)` returns, built directly. `subarray` finds
 * Buffer's species constructor and checks its result on every call
 * (~70 ns in Node 20); constructing that same class (Node's FastBuffer,
 * which `Buffer[Symbol.species]` names) over the ArrayBuffer takes ~27 ns.
 * The RESP parser makes one view per argument, so this is on the hot path.
 * The bounds are the caller's: they are not clamped as `subarray` clamps.
 */
type ViewConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Buffer;

const species = (Buffer as unknown as { [Symbol.species]?: unknown })[Symbol.species];
const BufferView: ViewConstructor | undefined =
  typeof species === "function" && species !== Buffer ? (species as ViewConstructor) : undefined;

export const bufferView: (buf: Buffer, start: number, end: number) => Buffer =
  BufferView === undefined
    ? (buf, start, end) => buf.subarray(start, end)
    : (buf, start, end) => new BufferView(buf.buffer, buf.byteOffset + start, end - start);
