import type { FastifyInstance } from "fastify";
import { afterFailureDelay, passwordMatches } from "../../util/password.js";
import { errorBody } from "./errors.js";

/** Paths reachable without a password. */
const OPEN_PATHS = new Set(["/healthz"]);

/**
 * With `--requirepass`, every route but /healthz needs
 * `Authorization: Bearer <password>`; anything else answers 401.
 * The password is read per request, so CONFIG SET requirepass applies at once.
 * A wrong password (any Authorization header that does not match) is
 * answered after AUTH_FAILURE_DELAY_MS; a missing one at once.
 */
export function installAuth(app: FastifyInstance, password: () => string | undefined): void {
  app.addHook("onRequest", async (request, reply) => {
    const expected = password();
    if (expected === undefined || expected === "") return;
    if (OPEN_PATHS.has(request.url.split("?")[0]!)) return;
    const header = request.headers.authorization ?? "";
    const match = /^Bearer (.*)$/.exec(header);
    if (match && passwordMatches(match[1]!, expected)) return;
    if (header !== "") await afterFailureDelay(undefined);
    return reply
      .code(401)
      .header("www-authenticate", 'Bearer realm="docket"')
      .type("application/json")
      .send(errorBody("UNAUTHORIZED", "Authentication required: send Authorization: Bearer <password>"));
  });
}
