import type { FastifyInstance, FastifyRequest } from "fastify";
import { timingSafeEqual } from "node:crypto";
import { afterFailureDelay, passwordMatches } from "../../util/password.js";
import { errorBody } from "./errors.js";
import { CSRF_HEADER, type Sessions } from "./session.js";

/** Paths reachable without a password: health, and the dashboard's page, assets and login. */
const OPEN_PATHS = new Set(["/healthz", "/", "/login", "/v1/session"]);
const OPEN_PREFIX = "/assets/";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function isOpen(request: FastifyRequest): boolean {
  const path = request.url.split("?")[0]!;
  return OPEN_PATHS.has(path) || (path.startsWith(OPEN_PREFIX) && SAFE_METHODS.has(request.method));
}

/** constant-time, so the token cannot be guessed a character at a time */
function csrfMatches(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== "string" || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/**
 * With `--requirepass`, every route but the open ones needs
 * `Authorization: Bearer <password>` or a dashboard session cookie
 * (session.ts); anything else answers 401. A request that changes anything
 * on a session cookie alone must also carry the session's CSRF token in
 * X-CSRF-Token (only a same-origin script can read it), else 403.
 * The password is read per request, so CONFIG SET requirepass applies at once.
 * A wrong password (any Authorization header that does not match) is
 * answered after AUTH_FAILURE_DELAY_MS; a missing one at once.
 */
export function installAuth(
  app: FastifyInstance,
  password: () => string | undefined,
  sessions: Sessions,
): void {
  app.addHook("onRequest", async (request, reply) => {
    const expected = password();
    if (expected === undefined || expected === "") return;
    if (isOpen(request)) return;
    const header = request.headers.authorization ?? "";
    const match = /^Bearer (.*)$/.exec(header);
    if (match && passwordMatches(match[1]!, expected)) return;
    const session = header === "" ? sessions.find(request, expected) : undefined;
    if (session) {
      if (SAFE_METHODS.has(request.method) || csrfMatches(request.headers[CSRF_HEADER], session.csrf)) return;
      return reply
        .code(403)
        .type("application/json")
        .send(errorBody("CSRF", "a change on a session cookie needs its X-CSRF-Token header"));
    }
    if (header !== "") await afterFailureDelay(undefined);
    return reply
      .code(401)
      .header("www-authenticate", 'Bearer realm="docket"')
      .type("application/json")
      .send(errorBody("UNAUTHORIZED", "Authentication required: send Authorization: Bearer <password>"));
  });
}
