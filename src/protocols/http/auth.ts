import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { errorBody } from "./errors.js";

/** Paths reachable without a password. */
const OPEN_PATHS = new Set(["/healthz"]);

/**
 * With `--requirepass`, every route but /healthz needs
 * `Authorization: Bearer <password>`; anything else answers 401.
 * The password is read per request, so CONFIG SET requirepass applies at once.
 */
export function installAuth(app: FastifyInstance, password: () => string | undefined): void {
  app.addHook("onRequest", async (request, reply) => {
    const expected = password();
    if (expected === undefined || expected === "") return;
    if (OPEN_PATHS.has(request.url.split("?")[0]!)) return;
    const header = request.headers.authorization ?? "";
    const match = /^Bearer (.*)$/.exec(header);
    if (match && safeEqual(match[1]!, expected)) return;
    return reply
      .code(401)
      .header("www-authenticate", 'Bearer realm="docket"')
      .type("application/json")
      .send(errorBody("UNAUTHORIZED", "Authentication required: send Authorization: Bearer <password>"));
  });
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
