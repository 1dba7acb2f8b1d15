import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A real Disque 1.0-rc1 server for differential tests. Its path comes from
 * DISQUE_SERVER, else `<repo>/../shared/tools/disque-1.0-rc1/disque-server`
 * (CI clones the repo with shared/ beside it).
 */
export const DISQUE_SERVER =
  process.env.DISQUE_SERVER ??
  fileURLToPath(new URL("../../../shared/tools/disque-1.0-rc1/disque-server", import.meta.url));

export function disqueAvailable(): boolean {
  return existsSync(DISQUE_SERVER);
}

export interface DisqueProcess {
  port: number;
  close(): Promise<void>;
}

/** Whether a loopback port can be bound right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/** A port P ≤ 55535 with P and P+10000 (Disque's cluster bus) both free. */
export async function disquePorts(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 35000);
    if ((await portFree(port)) && (await portFree(port + 10000))) return port;
  }
  throw new Error("no free port pair for Disque");
}

/** Starts Disque on 127.0.0.1 in the foreground, without persistence, in a fresh directory. */
export async function startDisque(): Promise<DisqueProcess> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await disquePorts();
    const dir = mkdtempSync(join(tmpdir(), "docket-disque-"));
    const child = spawn(
      DISQUE_SERVER,
      [
        "--bind",
        "127.0.0.1",
        "--port",
        String(port),
        "--daemonize",
        "no",
        "--dir",
        dir,
        "--appendonly",
        "no",
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    if (await ready(child)) {
      return {
        port,
        close: async () => {
          const exited = new Promise((resolve) => child.once("exit", resolve));
          child.kill("SIGKILL");
          await exited;
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error(`Disque (${DISQUE_SERVER}) did not start`);
}

/** Resolves true once Disque logs that it accepts connections, false if it exits or stalls. */
function ready(child: ChildProcess): Promise<boolean> {
  return new Promise((resolve) => {
    let log = "";
    const timer = setTimeout(() => resolve(false), 5000);
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      log += chunk;
      if (log.includes("ready to accept connections")) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}
