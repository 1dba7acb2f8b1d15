import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built CLI (`npm test` builds dist before running the tests). */
export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  /** the HTTP door's port (null unless started with --http-port) */
  httpPort: number | null;
  /** the TaskQ text door's port (null unless started with --taskq-port) */
  taskqPort: number | null;
  /** every stderr line so far (JSON log lines, or plain text) */
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface LaunchedServer {
  child: ChildProcess;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** resolves once the server logs "docket is ready"; rejects if it exits first */
  ready: Promise<ServerProcess>;
}

/**
 * Spawns `node dist/cli/main.js serve` on 127.0.0.1 with a port the kernel
 * picks; its "docket is ready" log line gives the port. The HTTP door is
 * off unless `args` give `--http-port`.
 */
export function launchServer(
  dataDir: string,
  args: string[] = [],
  /** flags for node itself, e.g. --cpu-prof (the journal bench) */
  nodeArgs: string[] = [],
  /** environment variables added to the test's own */
  env: Record<string, string> = {},
  /** the CLI to run: another checkout's, for a benchmark's baseline */
  cli = CLI,
): LaunchedServer {
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      cli,
      "serve",
      "--port",
      "0",
      "--bind",
      "127.0.0.1",
      "--data-dir",
      dataDir,
      ...(args.includes("--http-port") ? ["--http-bind", "127.0.0.1"] : ["--no-http"]),
      ...args,
    ],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, DOCKET_LOG_LEVEL: "info", ...env } },
  );
  const lines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<ServerProcess>((resolve, reject) => {
    let partial = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      partial += chunk;
      let nl: number;
      while ((nl = partial.indexOf("\n")) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        lines.push(line);
        if (line.includes('"docket is ready"')) {
          const ready = JSON.parse(line) as {
            port: number;
            httpPort: number | null;
            taskqPort: number | null;
          };
          const { port, httpPort, taskqPort } = ready;
          resolve({ child, pid: child.pid!, port, httpPort, taskqPort, lines, exited });
        }
      }
    });
    void exited.then(({ code, signal }) =>
      reject(
        new Error(`server exited (${code ?? signal}) before it was ready:\n${lines.join("\n")}${partial}`),
      ),
    );
  });
  return { child, lines, exited, ready };
}

export function spawnServer(dataDir: string, args: string[] = []): Promise<ServerProcess> {
  return launchServer(dataDir, args).ready;
}

/** Runs the CLI to its exit; for commands expected to fail. */
export async function runCli(
  args: string[],
  /** environment variables added to the test's own */
  env: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...env },
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  return { code, stderr };
}

/** Runs the CLI and asserts that it exits 1 with `message` on stderr (a refused start or command). */
export async function assertCliRefuses(args: string[], message: RegExp): Promise<void> {
  const { code, stderr } = await runCli(args);
  assert.equal(code, 1, stderr);
  assert.match(stderr, message);
}
