import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TaskqClient } from "../dialects/taskq-client.js";
import { http, jobPath } from "../helpers/http.js";
import { RawClient } from "../helpers/raw-client.js";
import { testServer, type TestServer } from "../helpers/server.js";

/** The job JSON's `origin` (docs/http.md): the door that added the job, end to end over real sockets. */

describe("a job's origin over HTTP", () => {
  let t: TestServer;
  before(async () => {
    t = await testServer({ taskqPort: 0 });
  });
  after(() => t.close());

  const originOf = async (id: string) => {
    const reply = await http(t.url, "GET", jobPath(id));
    assert.equal(reply.status, 200, reply.text);
    return reply.json.origin as unknown;
  };

  it("a job added over RESP shows resp; one added over HTTP shows http", async () => {
    const resp = await RawClient.connect(t.port);
    let viaResp: string;
    try {
      const reply = await resp.call("ADDJOB", "doors", "r", "0");
      assert.match(reply, /^\+D-[^\r]+\r\n$/);
      viaResp = reply.slice(1, -2);
    } finally {
      resp.close();
    }
    assert.equal(await originOf(viaResp), "resp");
    const added = await http(t.url, "POST", "/v1/queues/doors/jobs", { json: { body: "h" } });
    assert.equal(added.status, 201, added.text);
    assert.equal(await originOf(added.json.id as string), "http");
  });

  it("a task added over TaskQ's TCP protocol shows taskq, over TaskQ's HTTP flavour http", async () => {
    const c = await TaskqClient.connect(t.server.config.taskqPort!);
    try {
      c.write("1 enq tasks 1 x\n");
      assert.equal(await c.line(), "1 enqed tasks 1");
    } finally {
      c.close();
    }
    const viaHttp = await http(t.url, "POST", "/apps/taskq/tasks/tasks", { raw: "y" });
    assert.equal(viaHttp.status, 200, viaHttp.text);
    const listed = await http(t.url, "GET", "/v1/queues/tasks/jobs");
    assert.equal(listed.status, 200, listed.text);
    const ids = (listed.json.jobs as Array<{ id: string }>).map((job) => job.id);
    const origins = await Promise.all(ids.map(originOf));
    assert.deepEqual(origins.sort(), ["http", "taskq"]);
  });
});
