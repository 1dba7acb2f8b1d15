/* global fetch -- browser globals */
// The dashboard's one way to talk to the server: same-origin fetch, the
// session's CSRF token on every request (the server wants it on changes).

let csrf = null;

export function setCsrf(token) {
  csrf = token;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(method, path, body) {
  const headers = {};
  if (csrf) headers["x-csrf-token"] = csrf;
  let payload;
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    throw new ApiError(res.status, json?.error?.code ?? String(res.status), json?.error?.message ?? text);
  }
  return json;
}

export const enc = encodeURIComponent;
