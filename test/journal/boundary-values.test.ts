import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, describe, it } from "node:test";
import { TaskqClient } from "../dialects/taskq-client.js";
import { TASKQ_LEASE_SECONDS } from "../../src/doors/taskq/tasks.js";
import { http, jobPath, type HttpReply } from "../helpers/http.js";
import { spawnServer, type ServerProcess } from "../helpers/process.js";
import { RawClient } from "../helpers/raw-client.js";
import { tempDataDir } from "../helpers/server.js";

/**
 * Issue 11's property test: every numeric argument of every write command on
 * every door (RESP Disque/okq/takeanumber/docket, HTTP native/emq/TaskQ,
 * TaskQ text) gets each boundary value below. All of them are sent to one
 * server (--fsync always), then it is killed with SIGKILL and restarted,
 * twice, and its jobs are compared with a model: each request either got a
 * clean error naming its argument and changed nothing, or made exactly the
 * job the model says. The model reads integers on its own (below), not with
 * the code under test.
 */

const MAX = 2 ** 31 - 1;
const MAX_TIMEOUT_MS = MAX * 1000;
const FORTY_DIGITS = "1".padEnd(40, "0");
const VALUES: Array<number | string> = [
  0,
  -1,
  100,
  MAX,
  2 ** 31,
  2 ** 31 + 1,
  2 ** 32,
  2 ** 53,
  1e300,
  "NaN",
  "1e3",
  "0x10",
  "+5",
  "007",
  FORTY_DIGITS,
  `-${FORTY_DIGITS}`,
];
const DEFAULT_TTL = 86_400;
const MAX_JOB_SIZE = 16 * 1024 * 1024;

/** The model's reading of a value: text must be plain decimal digits (Redis's string2ll); JSON numbers are numbers. */
function modelInteger(value: number | string, json: boolean): number | undefined {
  if (json && typeof value === "number") return Number.isInteger(value) ? value : undefined;
  const text = String(value);
  return /^-?(0|[1-9][0-9]*)$/.test(text) ? Number(text) : undefined;
}

interface ModelJob {
  body: string;
  ttl: number;
  retry: number;
  delay: number;
}

function job(body: string, fields: Partial<ModelJob> = {}): ModelJob {
  const ttl = fields.ttl ?? DEFAULT_TTL;
  return { body, ttl, retry: Math.max(1, Math.min(300, Math.floor(ttl / 10))), delay: 0, ...fields };
}

/** One numeric argument: its range, the job a value in range makes (null: none), and what names it in errors. */
interface Argument {
  name: RegExp;
  min: number;
  max: number;
  /** the job an accepted value n makes, or null when the command makes none; undefined: refused anyway */
  make(n: number, body: string): ModelJob | null | undefined;
  /** how the door reads the value, when not as modelInteger does */
  read?: (value: number | string) => number | undefined;
}

const ADD_ARGUMENTS: Record<string, Argument> = {
  ttl: { name: /ttl/i, min: 1, max: MAX, make: (n, body) => job(body, { ttl: n }) },
  retry: { name: /retry/i, min: 0, max: MAX, make: (n, body) => job(body, { retry: n }) },
  delay: {
    name: /delay/i,
    min: 0,
    max: MAX,
    make: (n, body) => (n < DEFAULT_TTL ? job(body, { delay: n }) : undefined),
  },
  maxlen: { name: /maxlen/i, min: 1, max: MAX, make: (_n, body) => job(body) },
  // One node: REPLICATE n > 1 is a NOREPL error.
  replicate: { name: /replicat/i, min: 1, max: 65535, make: (n, body) => (n === 1 ? job(body) : undefined) },
};

/** A request sent, and what the model expects of it. */
interface Case {
  what: string;
  /** the queue only this case uses */
  queue: string;
  expected: ModelJob | null | undefined;
  name: RegExp;
  reply: Promise<{ ok: boolean; error?: string }>;
}

function respOutcome(reply: string): { ok: boolean; error?: string } {
  return reply.startsWith("-") ? { ok: false, error: reply } : { ok: true };
}

function httpOutcome(reply: HttpReply): { ok: boolean; error?: string } {
  if (reply.status < 300) return { ok: true };
  assert.ok([400, 404, 503].includes(reply.status), `${reply.status} ${reply.text}`);
  assert.equal(typeof reply.json?.error?.message, "string", reply.text);
  return {
    ok: false,
    error: `${reply.status} ${reply.json.error.code as string} ${reply.json.error.message as string}`,
  };
}

/** TaskQ's HTTP routes refuse as Go's http.Error does (DIALECTS.md section 3): 500 and a text line. */
function taskqHttpOutcome(reply: HttpReply): { ok: boolean; error?: string } {
  if (reply.status !== 500) return httpOutcome(reply);
  assert.equal(reply.text, "taskq: no such task\n");
  return { ok: false, error: `${reply.status} ${reply.text}` };
}

const dirs: string[] = [];
const servers: ServerProcess[] = [];
after(() => {
  for (const server of servers) server.child.kill("SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function start(dir: string): Promise<ServerProcess> {
  const server = await spawnServer(dir, ["--fsync", "always", "--http-port", "0", "--taskq-port", "0"]);
  servers.push(server);
  return server;
}

async function kill(server: ServerProcess): Promise<void> {
  server.child.kill("SIGKILL");
  await server.exited;
}

/** Every job on the server, by queue, as the HTTP door shows it. */
async function serverJobs(server: ServerProcess): Promise<Map<string, ModelJob>> {
  const resp = await RawClient.connect(server.port);
  const url = `http://127.0.0.1:${server.httpPort}`;
  const ids: string[] = [];
  let cursor = "0";
  for (let calls = 0; calls < 10_000; calls++) {
    const reply = await resp.call("JSCAN", cursor, "COUNT", 1000);
    const head = /^\*2\r\n\$[0-9]+\r\n([0-9]+)\r\n/.exec(reply);
    assert.ok(head, reply);
    for (const match of reply.matchAll(/\+(D-[^\r]+)\r\n/g)) ids.push(match[1]!);
    cursor = head[1]!;
    if (cursor === "0") break;
  }
  resp.close();
  const jobs = new Map<string, ModelJob>();
  for (const id of ids) {
    const shown = await http(url, "GET", `${jobPath(id)}?encoding=utf8`);
    assert.equal(shown.status, 200, shown.text);
    const { queue, body, ttl, retry, delay } = shown.json as ModelJob & { queue: string };
    assert.ok(!jobs.has(queue), `two jobs in ${queue}`);
    jobs.set(queue, { body, ttl, retry, delay });
  }
  return jobs;
}

function compare(actual: Map<string, ModelJob>, model: Map<string, ModelJob>, when: string): void {
  for (const [queue, expected] of model) assert.deepEqual(actual.get(queue), expected, `${when}: ${queue}`);
  for (const queue of actual.keys()) assert.ok(model.has(queue), `${when}: unexpected job in ${queue}`);
}

describe("boundary values on every door, then kill -9", () => {
  it("each request is a clean error and no change, or exactly the model's job", async (test) => {
    const dir = tempDataDir();
    dirs.push(dir);
    const server = await start(dir);
    const url = `http://127.0.0.1:${server.httpPort}`;
    const resp = await RawClient.connect(server.port);
    const taskq = await TaskqClient.connect(server.taskqPort!);
    const cases: Case[] = [];
    const add = (
      what: string,
      arg: Argument,
      value: number | string,
      json: boolean,
      send: (q: string, body: string) => Case["reply"],
    ) => {
      const queue = `p${cases.length}`;
      const body = `b${cases.length}`;
      const n = arg.read ? arg.read(value) : modelInteger(value, json);
      const expected = n !== undefined && n >= arg.min && n <= arg.max ? arg.make(n, body) : undefined;
      cases.push({
        what: `${what} ${String(value)}`,
        queue,
        name: arg.name,
        expected,
        reply: send(queue, body),
      });
    };
    // RESP replies come in order on one connection: send everything, then read.
    const respCall = (...args: Array<string | number>) => {
      resp.send(...args);
      return resp.reply().then(respOutcome);
    };

    for (const value of VALUES) {
      const text = String(value);
      // RESP: Disque's ADDJOB, takeanumber's ADD, okq's QRPOP EX, docket's REDRIVE.
      const timeout: Argument = {
        name: /timeout/i,
        min: 0,
        max: MAX_TIMEOUT_MS,
        make: (_n, body) => job(body),
      };
      add("ADDJOB timeout", timeout, value, false, (q, body) => respCall("ADDJOB", q, body, text));
      for (const [option, arg] of Object.entries(ADD_ARGUMENTS)) {
        add(`ADDJOB ${option}`, arg, value, false, (q, body) =>
          respCall("ADDJOB", q, body, 0, option.toUpperCase(), text),
        );
      }
      const retries: Argument = {
        name: /retries/i,
        min: 0,
        max: MAX,
        make: (_n, body) => job(body, { retry: 300 }),
      };
      add("ADD retries", retries, value, false, (q, body) => respCall("ADD", q, text, body));
      // EX 0 is valid: at-most-once (the event goes as it is popped).
      const ex: Argument = { name: /EX/, min: 0, max: MAX, make: () => null };
      add("QRPOP EX", ex, value, false, (q) => respCall("QRPOP", q, "EX", text));
      const count: Argument = { name: /count/i, min: 1, max: MAX, make: () => null };
      add("REDRIVE count", count, value, false, (q) => respCall("REDRIVE", q, text));

      // HTTP native: a JSON envelope, and raw bytes with the options in the query string.
      for (const [option, arg] of Object.entries({ ...ADD_ARGUMENTS, retries })) {
        add(`POST json ${option}`, arg, value, true, (q, body) =>
          http(url, "POST", `/v1/queues/${q}/jobs`, {
            json: { body, encoding: "utf8", [option]: value },
          }).then(httpOutcome),
        );
        add(`POST raw ${option}`, arg, value, false, (q, body) =>
          http(url, "POST", `/v1/queues/${q}/jobs?${option}=${encodeURIComponent(text)}`, { raw: body }).then(
            httpOutcome,
          ),
        );
      }
      add("POST redrive count", count, value, true, (q) =>
        http(url, "POST", `/v1/queues/${q}/redrive`, { json: { count: value } }).then(httpOutcome),
      );
      // emq: the body is the content's JSON text.
      const expiry: Argument = {
        name: /expiry/i,
        min: 1,
        max: MAX,
        make: (n, body) => job(`"${body}"`, { ttl: n, retry: Math.min(300, n) }),
      };
      add("emq expiry", expiry, value, true, (q, body) =>
        http(url, "POST", `/enqueue/${q}`, { json: { content: body, expiry: value } }).then(httpOutcome),
      );
      const emqRetry: Argument = {
        name: /retry/i,
        min: 0,
        max: MAX,
        make: (n, body) => job(`"${body}"`, { retry: n }),
      };
      add("emq retry", emqRetry, value, true, (q, body) =>
        http(url, "POST", `/enqueue/${q}`, { json: { content: body, retry: value } }).then(httpOutcome),
      );
      // TaskQ over HTTP: the task id of an ack (the queue is empty: always refused, never a change).
      const taskId: Argument = { name: /task/i, min: 1, max: 0, make: () => null };
      add("TaskQ HTTP ack", taskId, value, false, (q) =>
        http(url, "DELETE", `/apps/taskq/${q}/tasks/${encodeURIComponent(text)}`).then(taskqHttpOutcome),
      );
      // TaskQ text: ack's task id, and enq's body length (each on its own connection: a length frames the stream).
      add("TaskQ ack", taskId, value, false, async (q) => {
        taskq.write(`${cases.length} ack ${q} ${text}\n`);
        const line = await taskq.line();
        return line.includes(" error ") ? { ok: false, error: line } : { ok: true };
      });
      // TaskQ's LEN is a frame length: 1 to 15 digits (leading zeros allowed), 0 = the rest of the line.
      const lengthText = /^[0-9]{1,15}$/.test(text);
      const length: Argument = {
        name: /length|body/i,
        min: 0,
        max: MAX_JOB_SIZE,
        // a TaskQ task's RETRY is TaskQ's lease
        make: (n, body) => job(n === 0 ? body : "x".repeat(n), { retry: TASKQ_LEASE_SECONDS }),
        read: () => (lengthText ? Number(text) : undefined),
      };
      add("TaskQ enq length", length, value, false, async (q, body) => {
        const c = await TaskqClient.connect(server.taskqPort!);
        const n = Number(text);
        const tail = lengthText && n > 0 && n <= MAX_JOB_SIZE ? "x".repeat(n) : `${body}\n`;
        c.write(`1 enq ${q} ${text} ${tail}`);
        const line = await c.line();
        c.close();
        return line.startsWith("1 error ") ? { ok: false, error: line } : { ok: true };
      });
    }

    const model = new Map<string, ModelJob>();
    for (const c of cases) {
      const outcome = await c.reply;
      if (c.expected === undefined) {
        assert.equal(outcome.ok, false, `${c.what}: accepted, the model refuses it`);
        assert.match(outcome.error!, c.name, `${c.what}: the error names the argument`);
      } else {
        assert.equal(outcome.ok, true, `${c.what}: ${outcome.error}`);
        if (c.expected !== null) model.set(c.queue, c.expected);
      }
    }
    test.diagnostic(`${cases.length} requests, ${model.size} jobs made`);
    resp.close();
    taskq.close();
    compare(await serverJobs(server), model, "before the kill");
    await kill(server);

    const second = await start(dir);
    compare(await serverJobs(second), model, "after one kill -9");
    const sentinel = await RawClient.connect(second.port);
    assert.match(await sentinel.call("ADDJOB", "sentinel", "s", 0), /^\+D-/);
    sentinel.close();
    model.set("sentinel", job("s"));
    await kill(second);

    const third = await start(dir);
    compare(await serverJobs(third), model, "after two kills");
    assert.ok(!third.lines.some((line) => /torn|damaged|corrupt/.test(line)), third.lines.join("\n"));
    await kill(third);
  });
});
