import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The Lua scripts of the Redis store, one file per script in scripts/ (as BullMQ
 * lays them out): `<name>-<number of keys>.lua`, each opening with a header that
 * lists its KEYS and ARGV. Shared helpers live in scripts/includes/ and are pulled
 * in by a `--- @include "includes/<name>"` line, relative to the including file;
 * each is inlined once per script, where it is first named, its own includes first.
 * The build copies the directory next to the compiled code, so the same path works
 * from src (tsx) and from dist.
 */
const SCRIPTS_DIR = fileURLToPath(new URL("./scripts/", import.meta.url));

const INCLUDE = /^--- @include "([^"]+)"[ \t]*$/gm;

export const QUEUE_SCRIPT_NAMES = [
  "add",
  "addMany",
  "release",
  "retract",
  "take",
  "takeMany",
  "remove",
  "putBack",
  "dequeue",
  "working",
  "due",
  "show",
  "peek",
  "stat",
  "pause",
  "ackInQueue",
  "requeueFirst",
  "retry",
  "flushQueue",
  "deadLetters",
  "redrive",
  "watch",
  "gc",
  "scan",
  "counts",
  "purge",
  "policy",
  "explain",
  "noteFetches",
] as const;

/** A script run on one queue's twelve keys (keys.ts). */
export type QueueScriptName = (typeof QUEUE_SCRIPT_NAMES)[number];

/** The scripts on the schedules' keys (schedules.ts), in their own slot. */
export type ScheduleScriptName = "scheduleSet" | "scheduleDel" | "scheduleList";

/** A script's source with its includes inlined, by script name; read once, on first use. */
let sources: Map<string, string> | undefined;

export function scriptSource(name: QueueScriptName | ScheduleScriptName | "lookup"): string {
  sources ??= readScripts(SCRIPTS_DIR);
  const source = sources.get(name);
  if (source === undefined) throw new Error(`no Lua script "${name}" in ${SCRIPTS_DIR}`);
  return source;
}

function readScripts(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of readdirSync(dir)) {
    const match = /^(.+)-\d+\.lua$/.exec(file);
    if (match) out.set(match[1]!, inline(join(dir, file), new Set()));
  }
  return out;
}

/** The file's text, each include replaced by its own (inlined) text the first time it is named. */
function inline(path: string, included: Set<string>): string {
  const text = readFileSync(path, "utf8");
  return text.replace(INCLUDE, (_line, name: string) => {
    const target = resolve(dirname(path), `${name}.lua`);
    if (included.has(target)) return "";
    included.add(target);
    return inline(target, included);
  });
}
