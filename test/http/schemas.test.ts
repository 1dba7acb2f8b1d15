import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, http } from "../helpers/http.js";
import { testServer, type TestServer } from "../helpers/server.js";

/** The routes' schemas, compiled on each route's first request (src/doors/http/lazy-schemas.ts). */

describe("route schemas", () => {
  let t: TestServer;
  before(async () => {
    t = await testServer();
  });
  after(async () => {
    await t.close();
  });

  it("start-up compiles none; a route's first request compiles its own; every one compiles", async () => {
    const schemas = t.server.http!.schemas;
    assert.ok(schemas.schemas > 50, `fastify handed over ${schemas.schemas} schemas`);
    assert.equal(schemas.compiled, 0, "nothing compiled before the first request");

    const added = await http(t.url, "POST", "/v1/queues/q/jobs?ttl=60", { raw: "x" });
    assert.equal(added.status, 201, added.text);
    const afterAdd = schemas.compiled;
    assert.ok(afterAdd > 0 && afterAdd < schemas.schemas, `${afterAdd} compiled`);
    // the validator compiled on that request refuses as fastify's own did (coercion and all)
    assertError(await http(t.url, "POST", "/v1/queues/q/jobs?ttl=abc", { raw: "x" }), 400, "BADREQUEST");
    assertError(
      await http(t.url, "POST", "/v1/queues/q/jobs", { json: { body: 1, bogus: 1 } }),
      400,
      "BADREQUEST",
    );
    const again = await http(t.url, "POST", "/v1/queues/q/jobs?ttl=60", { raw: "y" });
    assert.equal(again.status, 201, again.text);
    assert.equal(again.json.queue, "q", "the reply's serializer, compiled lazily, keeps its fields");

    schemas.compileAll();
    assert.equal(schemas.compiled, schemas.schemas);
  });
});
