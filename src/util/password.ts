import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";

/**
 * The server password, the same on every door (RESP AUTH, HTTP bearer,
 * TaskQ `auth`): how it is compared, how wrong guesses are slowed, and where
 * it may come from besides the command line.
 */

/** How long a wrong password waits for its answer, milliseconds. */
export const AUTH_FAILURE_DELAY_MS = 100;
/** Wrong passwords a connection may send; the last one's answer closes it. */
export const AUTH_FAILURES_PER_CONNECTION = 3;

function sha256(value: string | Buffer): Buffer {
  return createHash("sha256").update(value).digest();
}

/**
 * Constant-time: both sides are hashed first, so the compare takes the same
 * time whatever the lengths are and however many bytes match.
 */
export function passwordMatches(given: string | Buffer, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/** The answer to a wrong password, after AUTH_FAILURE_DELAY_MS. */
export function afterFailureDelay<T>(answer: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(answer), AUTH_FAILURE_DELAY_MS));
}

/**
 * One connection's wrong passwords (Redis has no limit; docket closes a
 * connection that guesses AUTH_FAILURES_PER_CONNECTION times).
 */
export class AuthFailures {
  private count = 0;

  /** Counts a wrong password: true when the connection must close after answering it. */
  failed(): boolean {
    this.count++;
    return this.count >= AUTH_FAILURES_PER_CONNECTION;
  }
}

/** --requirepass-file: the file's first line, without its line ending; never empty. */
export function readPasswordFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`requirepass-file: cannot read ${path}: ${(error as Error).message}`);
  }
  const password = text.split("\n", 1)[0]!.replace(/\r$/, "");
  if (password === "") throw new Error(`requirepass-file ${path} is empty: its first line is the password`);
  return password;
}
