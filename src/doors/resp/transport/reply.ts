/**
 * The values a RESP command handler returns. The encoder (encoder.ts) maps
 * each kind to its RESP2 bytes:
 *
 * | value                 | bytes                      |
 * |-----------------------|----------------------------|
 * | `SimpleString`        | `+value\r\n`               |
 * | `ErrorReply`          | `-message\r\n`             |
 * | integer `number`      | `:n\r\n`                   |
 * | `bigint`              | `:n\r\n`                   |
 * | `string`              | bulk, UTF-8                |
 * | `Buffer`              | bulk, binary-safe          |
 * | `null`                | null bulk `$-1\r\n`        |
 * | `NULL_ARRAY`          | null array `*-1\r\n`       |
 * | `StatusBytes`         | `+bytes\r\n`               |
 * | `NO_REPLY`            | nothing                    |
 * | `Reply[]`             | `*n\r\n` then each element |
 *
 * A non-integer `number` (e.g. 1.5, NaN) is sent as a bulk string of its
 * decimal form, as Redis does for doubles in RESP2.
 */

/** `+value\r\n`. CR and LF in the value are sent as spaces. */
export class SimpleString {
  constructor(readonly value: string) {}
}

/** `+bytes\r\n` for a status line that carries raw bytes (takeanumber RESERVE): CR and LF as spaces. */
export class StatusBytes {
  constructor(readonly bytes: Buffer) {}
}

/** Nothing at all: the command answers by closing (takeanumber CLOSE). */
export const NO_REPLY: { readonly kind: "no-reply" } = Object.freeze({ kind: "no-reply" as const });

/**
 * `-message\r\n`. The message starts with the error code:
 * `ERR syntax error`, `BADID Invalid Job ID format.`.
 * CR and LF in the message are sent as spaces.
 */
export class ErrorReply {
  constructor(readonly message: string) {}
}

/** The null array `*-1\r\n` (e.g. GETJOB timing out). */
export const NULL_ARRAY: { readonly kind: "null-array" } = Object.freeze({ kind: "null-array" as const });

export type Reply =
  | SimpleString
  | StatusBytes
  | ErrorReply
  | number
  | bigint
  | string
  | Buffer
  | null
  | typeof NULL_ARRAY
  | typeof NO_REPLY
  | Reply[];

export const OK = new SimpleString("OK");

export function err(message: string): ErrorReply {
  return new ErrorReply(message);
}
