import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { TaskqClient } from "../dialects/taskq-client.js";
import { capturingLogger } from "../helpers/logs.js";
import { RawClient, int, simple } from "../helpers/raw-client.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";

/** The TaskQ text door asks for the password and has the RESP door's connection limits. */

describe("TaskQ text door: --requirepass", () => {
  let t: TestServer;
  before(async () => {
    t = await testServer({ taskqPort: 0, requirePass: "s3cret" });
  });
  after(async () => {
    await t.close();
  });

  it("an unauthenticated deq does not take a job added over authenticated RESP", async () => {
    const resp = await RawClient.connect(t.port);
    assert.equal(await resp.call("AUTH", "s3cret"), simple("OK"));
    await resp.call("ADDJOB", "payments", "pay 10", 0);
    const c = await TaskqClient.connect(t.server.config.taskqPort!);
    c.write("1 deq payments\n2 enq payments 1 x\n3 ack payments 1\n");
    assert.equal(
      await c.expect(
        "1 error NOAUTH Authentication required.\n" +
          "2 error NOAUTH Authentication required.\n" +
          "3 error NOAUTH Authentication required.\n",
      ),
      "1 error NOAUTH Authentication required.\n" +
        "2 error NOAUTH Authentication required.\n" +
        "3 error NOAUTH Authentication required.\n",
    );
    assert.equal(await resp.call("QLEN", "payments"), int(1), "the job is still queued");
    c.write("4 auth wrong\n");
    assert.equal(await c.expect("4 error invalid password\n"), "4 error invalid password\n");
    c.write("5 auth s3cret\n6 deq payments\n");
    const expected = "5 authed\n6 deqed payments ";
    assert.equal(await c.expect(expected), expected);
    c.close();
    resp.close();
  });

  it("a password with spaces is the rest of the line", async () => {
    const spaced = await testServer({ taskqPort: 0, requirePass: "two  words " });
    const c = await TaskqClient.connect(spaced.server.config.taskqPort!);
    c.write("1 auth two  words \n2 enq q 1 x\n");
    assert.equal(await c.expect("1 authed\n2 enqed q "), "1 authed\n2 enqed q ");
    c.close();
    await spaced.close();
  });

  it("CONFIG SET requirepass applies at once", async () => {
    const open = await testServer({ taskqPort: 0 });
    const c = await TaskqClient.connect(open.server.config.taskqPort!);
    c.write("1 auth x\n");
    const noPassword = "1 error Client sent AUTH, but no password is set\n";
    assert.equal(await c.expect(noPassword), noPassword);
    const resp = await RawClient.connect(open.port);
    assert.equal(await resp.call("CONFIG", "SET", "requirepass", "now"), simple("OK"));
    c.write("2 deq q\n3 auth now\n4 deq q\n");
    const expected = "2 error NOAUTH Authentication required.\n3 authed\n4 error empty\n";
    assert.equal(await c.expect(expected), expected);
    c.close();
    resp.close();
    await open.close();
  });

  it("without a password the door is open", async () => {
    const open = await testServer({ taskqPort: 0 });
    const c = await TaskqClient.connect(open.server.config.taskqPort!);
    c.write("1 deq q\n");
    assert.equal(await c.expect("1 error empty\n"), "1 error empty\n");
    c.close();
    await open.close();
  });
});

describe("TaskQ text door: connection limits", () => {
  it("the connection over --max-clients is refused with an error line", async () => {
    const t = await testServer({ taskqPort: 0, maxClients: 2 });
    const port = t.server.config.taskqPort!;
    const a = await TaskqClient.connect(port);
    const b = await TaskqClient.connect(port);
    a.write("1 deq q\n");
    assert.equal(await a.expect("1 error empty\n"), "1 error empty\n");
    const c = await TaskqClient.connect(port);
    const refused = "- error max number of clients reached\n";
    assert.equal(await c.expect(refused), refused);
    await c.closed();
    a.close();
    // a's place is free again
    let d: TaskqClient | undefined;
    await waitFor(async () => {
      d?.close();
      d = await TaskqClient.connect(port);
      d.write("1 deq q\n");
      return (await d.read(1)) === "1";
    });
    b.close();
    d?.close();
    await t.close();
  });

  it("a client that never reads its replies is disconnected at --client-output-limit", async () => {
    const { logger, lines } = capturingLogger();
    const t = await testServer({ taskqPort: 0, clientOutputLimit: 1024 * 1024 }, { logger });
    const socket = connect({ port: t.server.config.taskqPort!, host: "127.0.0.1" });
    socket.on("error", () => {});
    socket.pause(); // never reads
    let closed = false;
    socket.on("close", () => (closed = true));
    // Each request's reply echoes its 60 KB command word: 400 of them ask for 24 MB of replies.
    const request = `1 ${"x".repeat(60 * 1024)}\n`;
    for (let i = 0; i < 400 && !closed; i++) {
      if (!socket.write(request)) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await waitFor(() => lines.some((line) => String(line.msg).includes("output limit")), 10_000);
    const warning = lines.find((line) => String(line.msg).includes("output limit"))!;
    assert.equal(warning.door, "taskq");
    // a client that reads is not affected
    const reader = await TaskqClient.connect(t.server.config.taskqPort!);
    reader.write("1 enq q 1 x\n");
    assert.equal(await reader.expect("1 enqed q "), "1 enqed q ");
    reader.close();
    socket.destroy();
    await t.close();
  });
});
