/** How the operator's commands print times, durations, bodies and key/value lists. */

/** ms since the epoch as ISO 8601 (UTC). */
export const iso = (ms: number): string => new Date(ms).toISOString();

/** A duration for people: `850 ms`, `12 s`, `4m 05s`, `2h 03m`. */
export function duration(ms: number): string {
  const n = Math.max(0, Math.round(ms));
  if (n < 1000) return `${n} ms`;
  const s = Math.floor(n / 1000);
  if (s < 60) return `${s} s`;
  const two = (v: number) => String(v).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m ${two(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${two(Math.floor(s / 60) % 60)}m`;
}

/** A body as text: indented JSON when it parses as a JSON object or array, else as it is. */
export function prettyBody(body: string): string {
  const trimmed = body.trimStart();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return body;
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/**
 * `key  value` lines, the values aligned; a value of several lines goes on
 * with its later lines indented under its first.
 */
export function fieldLines(rows: Array<[string, string | number]>): string {
  const width = Math.max(0, ...rows.map(([key]) => key.length));
  return rows
    .map(([key, value]) => {
      const [first, ...rest] = String(value).split("\n");
      const pad = " ".repeat(width + 2);
      return [`${key.padEnd(width)}  ${first}`.trimEnd(), ...rest.map((line) => pad + line)].join("\n");
    })
    .join("\n");
}
