import assert from "node:assert/strict";
/** A small fetch wrapper for the HTTP door's tests: real HTTP, no mocks. */

export interface HttpReply {
  status: number;
  headers: Headers;
  text: string;
  /** the parsed JSON body (undefined when the body is not JSON) */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  bytes: Buffer;
}

export interface RequestOptions {
  /** sent as JSON with Content-Type application/json */
  json?: unknown;
  /** sent as-is */
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export async function http(
  base: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpReply> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Buffer | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers["content-type"] = options.contentType ?? "application/json";
  } else if (options.raw !== undefined) {
    body = options.raw;
    headers["content-type"] = options.contentType ?? "application/octet-stream";
  }
  const res = await fetch(base + path, {
    method,
    headers,
    body: typeof body === "string" || body === undefined ? body : new Uint8Array(body),
    signal: options.signal,
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString("utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json, bytes };
}

/** `/v1/jobs/<id>` with the id URL-encoded (ids contain + and /). */
export const jobPath = (id: string, suffix = ""): string => `/v1/jobs/${encodeURIComponent(id)}${suffix}`;

/** Parses Prometheus text format into `name{labels}` → value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** The reply is an error of this status and code (and message). */
export function assertError(reply: HttpReply, status: number, code: string, message?: RegExp): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.json?.error?.code, code, reply.text);
  assert.equal(typeof reply.json.error.message, "string", reply.text);
  if (message) assert.match(reply.json.error.message, message);
}
