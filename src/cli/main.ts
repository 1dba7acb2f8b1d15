#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from "commander";
import { readFileSync } from "node:fs";
import { defaultConfig, type ServerConfig } from "../config.js";
import { startServer } from "../server.js";
import { addClientCommands } from "./client-commands.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

function integer(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError("not a whole number");
  }
  return n;
}

const program = new Command()
  .name("docket")
  .description("A job-queue server that speaks Disque, okq, takeanumber, TaskQ and emq")
  .version(pkg.version);

const defaults = defaultConfig();
program
  .command("serve")
  .description("start the server")
  .option("--port <port>", "RESP port", integer, defaults.port)
  .option("--bind <address>", "address to listen on", defaults.bind)
  .option("--data-dir <dir>", "where the journal lives", defaults.dataDir)
  .option("--requirepass <password>", "password clients must AUTH with")
  .option("--max-job-size <bytes>", "largest job body accepted", integer, defaults.maxJobSize)
  .option("--max-clients <n>", "most simultaneous connections", integer, defaults.maxClients)
  .option(
    "--client-output-limit <bytes>",
    "unsent output per client before it is dropped",
    integer,
    defaults.clientOutputLimit,
  )
  .option("--http-port <port>", "HTTP/JSON port", integer, defaults.httpPort)
  .option("--http-bind <address>", "address the HTTP door listens on", defaults.httpBind)
  .option("--no-http", "no HTTP door")
  .option("--no-debug-commands", "refuse DEBUG FLUSHALL")
  .option(
    "--taskq-port <port>",
    "serve the TaskQ text protocol on this port (off by default; 7979 is TaskQ's)",
    integer,
  )
  .addOption(
    new Option("--fsync <policy>", "when write replies wait for the disk")
      .choices(["always", "everysec", "no"])
      .default(defaults.fsync),
  )
  .option(
    "--repair",
    "start even if a data file is missing, truncated or damaged (logs what is dropped)",
    false,
  )
  .option(
    "--compact-min-bytes <bytes>",
    "compact the journal once it is this big and twice the live data",
    integer,
    defaults.compactMinBytes,
  )
  .option(
    "--redis <url...>",
    "use Redis instead of the embedded store: one URL = standalone Redis, several = Redis Cluster nodes",
  )
  .option("--redis-cluster", "the single --redis URL is a node of a Redis Cluster", false)
  .option("--redis-prefix <prefix>", "prefix of every Redis key docket writes", defaults.redisPrefix)
  .action(async (options: Record<string, unknown>) => {
    const server = await startServer({
      port: options.port as number,
      bind: options.bind as string,
      dataDir: options.dataDir as string,
      requirePass: options.requirepass as string | undefined,
      maxJobSize: options.maxJobSize as number,
      maxClients: options.maxClients as number,
      clientOutputLimit: options.clientOutputLimit as number,
      debugCommands: options.debugCommands as boolean,
      httpPort: options.httpPort as number,
      httpBind: options.httpBind as string,
      http: options.http as boolean,
      taskqPort: (options.taskqPort as number | undefined) ?? null,
      fsync: options.fsync as ServerConfig["fsync"],
      repair: options.repair as boolean,
      compactMinBytes: options.compactMinBytes as number,
      redis: (options.redis as string[] | undefined) ?? [],
      redisCluster: options.redisCluster as boolean,
      redisPrefix: options.redisPrefix as string,
    });
    const stop = (signal: string) => {
      server.logger.info({ signal }, "shutting down");
      void server.close().then(() => process.exit(0));
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    server.onShutdown(() => process.exit(0));
  });

addClientCommands(program);

program.parseAsync(process.argv).catch((error: Error) => {
  console.error(`docket: ${error.message}`);
  process.exit(1);
});
