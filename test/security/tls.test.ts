import assert from "node:assert/strict";
import { request } from "node:https";
import { rmSync } from "node:fs";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { TaskqClient } from "../dialects/taskq-client.js";
import { assertCliRefuses, launchServer } from "../helpers/process.js";
import { RawClient, simple } from "../helpers/raw-client.js";
import { tempDataDir, testServer, type TestServer } from "../helpers/server.js";
import { makeCertificate, type TestCertificate } from "../helpers/tls.js";

/** TLS on every door: RESP on --tls-port, HTTPS, TaskQ on --taskq-tls-port; client certificates with --tls-ca. */

function httpsGet(
  port: number,
  path: string,
  tls: ConnectionOptions,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET", ...tls }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function openTls(port: number, options: ConnectionOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, ...options }, () => resolve(socket));
    socket.once("error", reject);
  });
}

async function ping(port: number, tls: ConnectionOptions): Promise<unknown> {
  const redis = new Redis({
    host: "127.0.0.1",
    port,
    tls,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // ioredis reports the TLS failure as an error event and rejects with "Connection is closed."
  let failure: Error | undefined;
  redis.on("error", (error: Error) => (failure ??= error));
  try {
    await redis.connect();
    return await redis.call("PING");
  } catch (error) {
    throw failure ?? error;
  } finally {
    redis.disconnect();
  }
}

describe("TLS with --tls-cert and --tls-key", () => {
  let cert: TestCertificate;
  let t: TestServer;
  before(async () => {
    cert = makeCertificate();
    t = await testServer({
      tlsCert: cert.certPath,
      tlsKey: cert.keyPath,
      tlsPort: 0,
      taskqPort: 0,
      taskqTlsPort: 0,
    });
  });
  after(async () => {
    await t.close();
    cert.remove();
  });

  it("serves RESP over TLS on --tls-port (ioredis with tls), and plain RESP on --port", async () => {
    const tlsPort = t.server.config.tlsPort!;
    assert.ok(tlsPort > 0 && tlsPort !== t.port);
    const redis = new Redis({
      host: "127.0.0.1",
      port: tlsPort,
      tls: { ca: [cert.cert] },
      lazyConnect: true,
    });
    await redis.connect();
    const id = (await redis.call("ADDJOB", "q", "over tls", 0)) as string;
    assert.match(id, /^D-/);
    const jobs = (await redis.call("GETJOB", "FROM", "q")) as Array<[string, string, string]>;
    assert.deepEqual(jobs[0], ["q", id, "over tls"]);
    redis.disconnect();
    const plain = await RawClient.connect(t.port);
    assert.equal(await plain.call("PING"), simple("PONG"));
    plain.close();
  });

  it("refuses a client that does not trust the certificate", async () => {
    await assert.rejects(ping(t.server.config.tlsPort!, {}), /self-signed|self signed|certificate/);
  });

  it("serves HTTPS on the HTTP port", async () => {
    const reply = await httpsGet(t.httpPort, "/healthz", { ca: [cert.cert] });
    assert.deepEqual(reply, { status: 200, body: '{"status":"ok"}' });
    await assert.rejects(fetch(`http://127.0.0.1:${t.httpPort}/healthz`));
  });

  it("serves TaskQ over TLS on --taskq-tls-port, and plain TaskQ on --taskq-port", async () => {
    const port = t.server.config.taskqTlsPort!;
    assert.ok(port > 0 && port !== t.server.config.taskqPort);
    const c = TaskqClient.over(await openTls(port, { ca: [cert.cert] }));
    c.write("1 enq tq 9 over tls\n");
    assert.equal(await c.expect("1 enqed tq "), "1 enqed tq ");
    c.close();
    const plain = await TaskqClient.connect(t.server.config.taskqPort!);
    plain.write("1 deq tq\n");
    assert.equal(await plain.expect("1 deqed tq "), "1 deqed tq ");
    plain.close();
  });
});

describe("client certificates with --tls-ca", () => {
  let server: TestCertificate;
  let client: TestCertificate;
  let stranger: TestCertificate;
  let t: TestServer;
  before(async () => {
    server = makeCertificate("docket-server");
    client = makeCertificate("docket-client");
    stranger = makeCertificate("stranger");
    t = await testServer({
      tlsCert: server.certPath,
      tlsKey: server.keyPath,
      tlsCa: client.certPath,
      tlsPort: 0,
      taskqTlsPort: 0,
    });
  });
  after(async () => {
    await t.close();
    for (const cert of [server, client, stranger]) cert.remove();
  });

  it("RESP: a client with a certificate the CA signed gets in; one without or with another is refused", async () => {
    const port = t.server.config.tlsPort!;
    const trust = { ca: [server.cert] };
    assert.equal(await ping(port, { ...trust, cert: client.cert, key: client.key }), "PONG");
    await assert.rejects(ping(port, trust));
    await assert.rejects(ping(port, { ...trust, cert: stranger.cert, key: stranger.key }));
  });

  it("HTTPS: the same", async () => {
    const trust = { ca: [server.cert] };
    const ok = await httpsGet(t.httpPort, "/healthz", { ...trust, cert: client.cert, key: client.key });
    assert.equal(ok.status, 200);
    await assert.rejects(httpsGet(t.httpPort, "/healthz", trust));
  });

  it("TaskQ: the same", async () => {
    const port = t.server.config.taskqTlsPort!;
    const trust = { ca: [server.cert] };
    const c = TaskqClient.over(await openTls(port, { ...trust, cert: client.cert, key: client.key }));
    c.write("1 deq none\n");
    assert.equal(await c.expect("1 error empty\n"), "1 error empty\n");
    c.close();
    // TLS 1.3: the handshake completes on the client's side, the server's alert ends the connection
    const refused = await openTls(port, trust).then(
      (socket) => TaskqClient.over(socket),
      () => undefined,
    );
    if (refused) {
      refused.write("1 deq none\n");
      await refused.closed();
      assert.equal(refused.pending(), "");
    }
  });
});

describe("TLS through the CLI", () => {
  it("refuses TLS ports without a certificate, half a certificate, and unreadable files", async () => {
    const dir = tempDataDir();
    const cert = makeCertificate();
    try {
      const serve = ["serve", "--port", "0", "--no-http", "--data-dir", dir];
      const cases: Array<[string[], RegExp]> = [
        [["--tls-port", "0"], /tls-port, taskq-tls-port and tls-ca need tls-cert and tls-key/],
        [["--tls-cert", cert.certPath], /tls-cert and tls-key go together/],
        [["--tls-cert", `${dir}/none.pem`, "--tls-key", cert.keyPath], /tls-cert: cannot read .*none\.pem/],
      ];
      for (const [args, message] of cases) await assertCliRefuses([...serve, ...args], message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      cert.remove();
    }
  });

  it("--tls-port, --tls-cert and --tls-key start a TLS listener", async () => {
    const cert = makeCertificate();
    const dir = tempDataDir();
    const launched = launchServer(dir, [
      "--tls-port",
      "0",
      "--tls-cert",
      cert.certPath,
      "--tls-key",
      cert.keyPath,
    ]);
    try {
      await launched.ready;
      const line = launched.lines.find((l) => l.includes('"docket is ready"'))!;
      const { tlsPort } = JSON.parse(line) as { tlsPort: number };
      assert.equal(await ping(tlsPort, { ca: [cert.cert] }), "PONG");
    } finally {
      launched.child.kill("SIGKILL");
      await launched.exited;
      rmSync(dir, { recursive: true, force: true });
      cert.remove();
    }
  });
});
