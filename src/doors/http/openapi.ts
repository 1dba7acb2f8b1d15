import type { FastifyDynamicSwaggerOptions } from "@fastify/swagger";
import type { FastifyInstance, RouteOptions } from "fastify";
import type { CompilersFactory } from "./lazy-schemas.js";

/** The document's own fields; the paths come from the routes. */
const OPENAPI: FastifyDynamicSwaggerOptions["openapi"] = {
  openapi: "3.0.3",
  info: {
    title: "docket HTTP API",
    version: "1",
    description: "Native job API under /v1, emq and TaskQ compatible routes. See docs/http.md.",
  },
  components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
  security: [{ bearer: [] }],
};

/** for the instance that makes the document: it serves no request, so its routes need no compiled validator or serializer */
const NO_COMPILERS = {
  buildValidator: () => () => () => true,
  buildSerializer: () => () => String,
} as unknown as CompilersFactory;

/**
 * The OpenAPI document (`GET /v1/openapi.json`), made by @fastify/swagger
 * on its first request rather than at start-up: registered with the door,
 * the plugin loads its YAML writer and schema resolver then (about 60 ms of
 * an empty start, docs/performance.md "Start-up"). The door's routes are
 * noted as fastify registers them; the first request replays them, without
 * their handlers, into a fastify instance of its own with the plugin, and
 * keeps the document it makes. HEAD routes are left out, as the plugin
 * leaves them out.
 */
export class OpenApiDocument {
  private readonly routes: RouteOptions[] = [];
  private document: Promise<unknown> | undefined;

  /** Notes the routes registered from now on and serves the document. Call before the routes. */
  install(app: FastifyInstance): void {
    app.addHook("onRoute", (route) => {
      if (route.method !== "HEAD") this.routes.push(route);
    });
    app.get("/v1/openapi.json", { schema: { hide: true } }, () => this.get());
  }

  /** The document, made once (a failure is not kept: the next request tries again). */
  get(): Promise<unknown> {
    this.document ??= this.make().catch((error: unknown) => {
      this.document = undefined;
      throw error;
    });
    return this.document;
  }

  private async make(): Promise<unknown> {
    const [{ default: Fastify }, { default: swagger }] = await Promise.all([
      import("fastify"),
      import("@fastify/swagger"),
    ]);
    const app = Fastify({ exposeHeadRoutes: false, schemaController: { compilersFactory: NO_COMPILERS } });
    await app.register(swagger, { openapi: OPENAPI });
    const handler = (): undefined => undefined;
    // each route as it was registered (its schema, config, constraints), but for what it runs
    for (const route of this.routes) app.route({ ...route, handler });
    await app.ready();
    const document = app.swagger();
    await app.close();
    return document;
  }
}
