import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, describe, it } from "node:test";
import { assertError, http } from "../helpers/http.js";
import { testServer, type TestServer } from "../helpers/server.js";

/**
 * What the HTTP door leaves to first use: the routes' schemas, compiled on
 * each route's first request (src/doors/http/lazy-schemas.ts), and the
 * OpenAPI document (openapi.ts).
 */

/** whether a package's files have been loaded into this process (the server runs in it) */
function loaded(name: string): boolean {
  return Object.keys(createRequire(import.meta.url).cache).some((path) =>
    path.includes(`/node_modules/${name}/`),
  );
}

describe("the HTTP door's start-up", () => {
  let t: TestServer;
  before(async () => {
    t = await testServer();
  });
  after(async () => {
    await t.close();
  });

  it("start-up compiles none; a route's first request compiles its own; every one compiles", async () => {
    assert.deepEqual(
      ["ajv", "fast-json-stringify-compiler", "@fastify/swagger", "yaml"].map(loaded),
      [false, false, false, false],
      "nothing of them loaded by start-up",
    );
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

  it("the OpenAPI document is made on its first request, then kept", async () => {
    const first = await http(t.url, "GET", "/v1/openapi.json");
    assert.equal(first.status, 200, first.text);
    const doc = first.json;
    assert.equal(doc.openapi, "3.0.3");
    assert.equal(doc.info.title, "docket HTTP API");
    assert.ok(doc.paths["/v1/queues/{queue}/jobs"].post, "a native route, with its parameters");
    assert.ok(doc.paths["/healthz"].get, "a route registered on the root");
    assert.equal(doc.paths["/v1/openapi.json"], undefined, "hidden routes stay hidden");
    const methods = Object.values(doc.paths as Record<string, Record<string, unknown>>).flatMap(Object.keys);
    assert.ok(!methods.includes("head"), "no HEAD operations, as @fastify/swagger leaves them out");
    assert.ok(loaded("@fastify/swagger"));
    const again = await http(t.url, "GET", "/v1/openapi.json");
    assert.equal(again.text, first.text);
  });
});
