import type { AuthFailures } from "../../util/password.js";

/** A connection's standing with the server password (RESP AUTH, TaskQ `auth`). */
export interface AuthState {
  /** set by a right password */
  authenticated: boolean;
  /** wrong passwords so far: the connection closes when they run out */
  readonly authFailures: AuthFailures;
}

/**
 * The AUTH gate every TCP door applies before a command that needs it: a
 * password is set (read per request, so CONFIG SET requirepass applies at
 * once) and this connection has not given it.
 */
export function mustAuthenticate(auth: AuthState, password: string | undefined): boolean {
  return !auth.authenticated && password !== undefined && password !== "";
}
