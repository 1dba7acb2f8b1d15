import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { describe, it } from "node:test";
import { Listener } from "../../src/doors/net/listen.js";

/**
 * A plain listener reads every connection into one shared buffer (onread)
 * and hands each door a chunk of its own. What the doors rely on: every
 * byte, in order, in chunks no later read overwrites; pause() stops the
 * reads; the peer's half-close arrives as 'end'; the server counts the
 * connection until it closes.
 */

interface Served {
  listener: Listener;
  port: number;
  sockets: Socket[];
}

async function serve(onSocket: (socket: Socket) => void): Promise<Served> {
  const sockets: Socket[] = [];
  const listener = new Listener({ allowHalfOpen: true }, undefined, (socket) => {
    sockets.push(socket);
    onSocket(socket);
  });
  const port = await listener.listen(0, "127.0.0.1", (error) => assert.fail(error));
  return { listener, port, sockets };
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const client = connect(port, "127.0.0.1", () => resolve(client));
    client.once("error", reject);
  });
}

function ended(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.once("end", resolve));
}

describe("Listener: reads through the shared buffer", () => {
  it("every byte of several connections arrives in order, in chunks that later reads leave alone", async () => {
    const chunksBy = new Map<Socket, Buffer[]>();
    const copiesBy = new Map<Socket, Buffer[]>();
    const { listener, port, sockets } = await serve((socket) => {
      const chunks: Buffer[] = [];
      const copies: Buffer[] = [];
      chunksBy.set(socket, chunks);
      copiesBy.set(socket, copies);
      socket.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        copies.push(Buffer.from(chunk));
      });
      socket.on("end", () => socket.end());
    });
    const sent = [randomBytes(3 * 1024 * 1024), randomBytes(200 * 1024), Buffer.from("PING\r\n")];
    const clients = await Promise.all(sent.map(() => dial(port)));
    await Promise.all(
      clients.map(async (client, i) => {
        const done = ended(client);
        client.resume();
        // in pieces, interleaved with the other connections' reads
        const data = sent[i]!;
        for (let at = 0; at < data.length; at += 50_000) client.write(data.subarray(at, at + 50_000));
        client.end();
        await done;
      }),
    );
    assert.equal(listener.reads.wrapped, 3);
    assert.equal(listener.reads.unwrapped, 0);
    for (const [i, data] of sent.entries()) {
      // the server's sockets arrive in connection order
      const socket = sockets[i]!;
      const chunks = chunksBy.get(socket)!;
      assert.ok(chunks.length >= 1);
      assert.deepEqual(Buffer.concat(chunks), data, `connection ${i}`);
      // each chunk still holds what it held when it was delivered, and is a Buffer of its own
      assert.deepEqual(chunks, copiesBy.get(socket));
      for (const chunk of chunks) assert.equal(chunk.byteLength, chunk.buffer.byteLength);
    }
    assert.ok(
      chunksBy.get(sockets[0]!)!.length > 1,
      "3 MiB came in more than one read, so reads reused the buffer",
    );
    await listener.close();
  });

  it("pause() stops the reads until resume(); the half-close comes as 'end' and the socket can still write", async () => {
    let received = 0;
    let receivedWhilePaused = -1;
    let server!: Socket;
    const { listener, port } = await serve((socket) => {
      server = socket;
      socket.on("data", (chunk: Buffer) => {
        received += chunk.length;
        if (received >= 10 && !socket.isPaused() && receivedWhilePaused < 0) {
          socket.pause();
          receivedWhilePaused = received;
        }
      });
      socket.on("end", () => socket.end("bye"));
    });
    const client = await dial(port);
    const reply: Buffer[] = [];
    client.on("data", (chunk: Buffer) => reply.push(chunk));
    const clientEnded = ended(client);
    client.write("0123456789");
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(receivedWhilePaused, 10);
    client.write("abcdef");
    client.end();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(received, 10, "nothing read while paused");
    server.resume();
    await clientEnded;
    assert.equal(received, 16);
    assert.equal(Buffer.concat(reply).toString(), "bye");
    await listener.close();
  });

  it("close() waits for an open connection and ends it; the server counts wrapped connections until they close", async () => {
    const { listener, port, sockets } = await serve((socket) => socket.on("data", () => {}));
    const client = await dial(port);
    client.on("error", () => {});
    const clientClosed = new Promise<void>((resolve) => client.once("close", () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(sockets.length, 1);
    let closed = false;
    const closing = listener.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(closed, false, "close() must wait for the open connection");
    await closing; // the deadline destroys it, and the count reaches zero
    await clientClosed;
    assert.equal(sockets[0]!.destroyed, true);
  });
});
