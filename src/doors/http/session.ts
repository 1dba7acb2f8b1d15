import { randomBytes } from "node:crypto";
import type { FastifyRequest } from "fastify";

/**
 * The dashboard's login sessions (docs/dashboard.md): a random token in an
 * HttpOnly, SameSite=Strict cookie, kept here with its expiry and its CSRF
 * token. Nothing is signed: a token means something only while it is in
 * this map, so logout and a password change end it at once.
 */

export const SESSION_COOKIE = "docket_session";
export const CSRF_HEADER = "x-csrf-token";
/** a session lasts this long after login */
export const SESSION_TTL_MS = 12 * 3600_000;
/** sessions kept at most; logging in beyond it ends the oldest */
export const MAX_SESSIONS = 1000;

export interface Session {
  token: string;
  csrf: string;
  expiresAt: number;
  /** the password it logged in with: a changed password ends the session */
  password: string;
}

export class Sessions {
  // insertion order = login order, so the first entry is the oldest
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.sessions.size;
  }

  create(password: string): Session {
    while (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
    const session: Session = {
      token: randomBytes(32).toString("base64url"),
      csrf: randomBytes(24).toString("base64url"),
      expiresAt: this.now() + SESSION_TTL_MS,
      password,
    };
    this.sessions.set(session.token, session);
    return session;
  }

  /** The request's live session, if its cookie names one made with the current password. */
  find(request: FastifyRequest, password: string): Session | undefined {
    const token = cookie(request.headers.cookie, SESSION_COOKIE);
    if (token === undefined) return undefined;
    const session = this.sessions.get(token);
    if (!session) return undefined;
    if (session.expiresAt <= this.now() || session.password !== password) {
      this.sessions.delete(token);
      return undefined;
    }
    return session;
  }

  end(token: string): void {
    this.sessions.delete(token);
  }
}

/** One cookie's value from a Cookie header (the first of that name). */
export function cookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function sessionCookie(session: Session | null, secure: boolean): string {
  const value = session ? session.token : "";
  const maxAge = session ? Math.floor(SESSION_TTL_MS / 1000) : 0;
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? "; Secure" : ""}`;
}
