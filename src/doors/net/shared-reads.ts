import { Socket, type Server } from "node:net";
import { copyBytes } from "../../util/copy-bytes.js";

/**
 * Reading an accepted TCP connection without the Readable stream.
 *
 * A socket's 'data' event costs Node, per read, a new ArrayBuffer made in
 * C++ and the Readable stream's machinery (push, addChunk, the flowing
 * state); measured with redis-benchmark, that is about 2 µs of the 15–25 µs
 * of user CPU a non-pipelined ADDJOB costs the server (docs/performance.md,
 * round 10). Node's `onread` option skips both: the kernel's bytes land in a
 * buffer the program gave, and a callback gets them. It exists only on the
 * Socket constructor, not for sockets a server accepts, so the listener
 * (paused on connect) wraps the accepted socket's handle in a Socket of its
 * own with `onread`.
 *
 * All connections read into one buffer: reads happen one at a time on this
 * thread and each callback copies its bytes out before returning, into a
 * Buffer of exactly that size, so the doors get a chunk they own, as from
 * 'data' (the RESP parser adopts chunks and hands out spans of them). The
 * wrapped socket emits 'data' itself, so the doors read it as before, and
 * pause() and resume() stop and start the handle's reads; 'end', 'error'
 * and 'close' come as usual.
 *
 * This uses two things Node does not document: `socket._handle` and the
 * constructor's `handle` option (Node's own server makes its sockets that
 * way). Where they are missing, the accepted socket is used as it is
 * (`wrapped` tells which; a test checks that this Node takes the fast way).
 */

/** one read's most bytes: Node's own read size */
const READ_BUFFER_BYTES = 64 * 1024;
const readBuffer = new Uint8Array(READ_BUFFER_BYTES);

interface AcceptedSocket {
  _handle: object | null;
  server?: Server;
  _server?: Server;
}

export interface Accepted {
  socket: Socket;
  /** read through `onread` into the shared buffer */
  wrapped: boolean;
}

/**
 * The socket a door should serve for `accepted` (accepted by `server`, which
 * must have been made with `pauseOnConnect: true`). Either way it reads
 * from the next turn on, so the door's listeners, added now, see every byte.
 */
export function readingSharedBuffer(accepted: Socket, server: Server, allowHalfOpen: boolean): Accepted {
  const own = accepted as unknown as AcceptedSocket;
  const handle = own._handle;
  if (handle === null || typeof handle !== "object" || !("useUserBuffer" in handle)) {
    accepted.resume();
    return { socket: accepted, wrapped: false };
  }
  own._handle = null;
  const socket: Socket = new Socket({
    handle,
    allowHalfOpen,
    onread: {
      buffer: readBuffer,
      callback: (bytes: number) => {
        // exactly its size, not a slice of Node's 8 KiB pool: a chunk the parser keeps pins no more than it holds
        const chunk = Buffer.allocUnsafeSlow(bytes);
        copyBytes(readBuffer, 0, bytes, chunk, 0);
        socket.emit("data", chunk);
      },
    },
  } as ConstructorParameters<typeof Socket>[0]);
  // As Node's server does for the sockets it makes: the server counts the
  // connection until this socket is destroyed (close() waits for that).
  const wrapped = socket as unknown as AcceptedSocket;
  wrapped.server = server;
  wrapped._server = server;
  return { socket, wrapped: true };
}
