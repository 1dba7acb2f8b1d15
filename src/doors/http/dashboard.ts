import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterFailureDelay, passwordMatches } from "../../util/password.js";
import { checkQueueName } from "../../core/limits.js";
import { queueParams } from "./native-schemas.js";
import { MAX_SAMPLED_QUEUES, SAMPLE_INTERVAL_MS, SAMPLES_KEPT, type QueueSampler } from "./samples.js";
import { cookie, SESSION_COOKIE, sessionCookie, type Sessions } from "./session.js";

/** a login form's body is one short field */
const LOGIN_BODY_LIMIT = 4096;

/**
 * The dashboard's static files: src/dashboard, next to this module's tree
 * (dist/dashboard once built, copied by scripts/copy-assets.mjs); from dist
 * without that copy, the source tree's.
 */
export function dashboardRoot(): string {
  const beside = fileURLToPath(new URL("../../dashboard/", import.meta.url));
  if (existsSync(beside)) return beside;
  return fileURLToPath(new URL("../../../src/dashboard/", import.meta.url));
}

export interface DashboardOptions {
  password(): string | undefined;
  sessions: Sessions;
  sampler: QueueSampler;
  /** the door speaks HTTPS: the cookie is Secure */
  secure: boolean;
}

/**
 * The web dashboard (docs/dashboard.md): its page at /, its assets under
 * /assets/, the login form's POST /login, POST /logout, GET /v1/session
 * and the charts' samples at GET /v1/dashboard/samples.
 */
export async function registerDashboard(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const { sessions, password } = options;
  await app.register(fastifyStatic, {
    root: dashboardRoot(),
    prefix: "/assets/",
    index: false,
    list: false,
    cacheControl: false,
    // the page must not be framed by another site (clickjacking of the action buttons)
    setHeaders: (res) => res.header("x-frame-options", "DENY"),
  });

  app.get("/", { schema: { hide: true } }, async (_request, reply) =>
    reply
      .header("x-frame-options", "DENY")
      .header("content-security-policy", "default-src 'self'; frame-ancestors 'none'")
      .header("cache-control", "no-store")
      .sendFile("index.html"),
  );

  const required = () => {
    const expected = password();
    return expected === undefined || expected === "" ? undefined : expected;
  };

  app.get(
    "/v1/session",
    {
      schema: {
        summary: "The dashboard's login state and the CSRF token its changes send",
        tags: ["dashboard"],
      },
    },
    async (request) => {
      const expected = required();
      if (expected === undefined) return { auth: "open", loggedIn: true, csrf: null };
      const session = sessions.find(request, expected);
      return { auth: "password", loggedIn: session !== undefined, csrf: session?.csrf ?? null };
    },
  );

  await app.register(async (forms) => {
    forms.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string", bodyLimit: LOGIN_BODY_LIMIT },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    forms.post<{ Body: { password?: unknown } }>(
      "/login",
      { schema: { summary: "The dashboard's login form: sets the session cookie", tags: ["dashboard"] } },
      async (request, reply) => {
        const expected = required();
        if (expected === undefined) return reply.redirect("/", 303);
        const given = typeof request.body?.password === "string" ? request.body.password : "";
        if (!passwordMatches(given, expected)) {
          await afterFailureDelay(undefined);
          return reply.redirect("/#/login?failed=1", 303);
        }
        const session = sessions.create(expected);
        return reply.header("set-cookie", sessionCookie(session, options.secure)).redirect("/", 303);
      },
    );
  });

  app.post(
    "/logout",
    { schema: { summary: "Ends the dashboard session (needs its X-CSRF-Token)", tags: ["dashboard"] } },
    async (request, reply) => {
      const token = cookie(request.headers.cookie, SESSION_COOKIE);
      if (token !== undefined) sessions.end(token);
      return reply.header("set-cookie", sessionCookie(null, options.secure)).send({ loggedOut: true });
    },
  );

  app.get<{ Querystring: { queue?: string } }>(
    "/v1/dashboard/samples",
    {
      schema: {
        summary: "The charts' samples: each queue's counts, the last minutes",
        description:
          `One sample every ${SAMPLE_INTERVAL_MS} ms, the last ${SAMPLES_KEPT}, for the first ` +
          `${MAX_SAMPLED_QUEUES} queues by name. With queue: that queue's only.`,
        tags: ["dashboard"],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { queue: queueParams.properties.queue },
        },
      },
    },
    async (request) => {
      const { queue } = request.query;
      if (queue === undefined) return { interval: SAMPLE_INTERVAL_MS, queues: options.sampler.all() };
      checkQueueName(queue);
      return { interval: SAMPLE_INTERVAL_MS, queues: { [queue]: options.sampler.samples(queue) } };
    },
  );
}
