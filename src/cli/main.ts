#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from "commander";
import { readFileSync } from "node:fs";
import { defaultConfig, type ServerConfig } from "../config.js";
import { startServer } from "../server.js";
import { readPasswordFile } from "../util/password.js";
import { humanBytes, parseBytes } from "../util/memory.js";
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

/**
 * The password: --requirepass, else --requirepass-file, else DOCKET_PASSWORD
 * (empty = none). The file and the variable keep it out of `ps`.
 */
function password(options: Record<string, unknown>): string | undefined {
  const flag = options.requirepass as string | undefined;
  const file = options.requirepassFile as string | undefined;
  if (flag !== undefined && file !== undefined) {
    throw new Error("give either --requirepass or --requirepass-file, not both");
  }
  if (file !== undefined) return readPasswordFile(file);
  return flag ?? (process.env.DOCKET_PASSWORD || undefined);
}

function bytes(value: string): number {
  const n = parseBytes(value);
  if (Number.isNaN(n)) throw new InvalidArgumentError("not a size (e.g. 1073741824, 512mb, 2gb)");
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
  .option("--requirepass <password>", "password clients must AUTH with (also: DOCKET_PASSWORD)")
  .option("--requirepass-file <path>", "read the password from this file's first line")
  .option("--max-job-size <bytes>", "largest job body accepted", integer, defaults.maxJobSize)
  .option("--max-clients <n>", "most simultaneous connections", integer, defaults.maxClients)
  .option(
    "--client-output-limit <bytes>",
    "unsent output per client before it is dropped",
    integer,
    defaults.clientOutputLimit,
  )
  .option(
    "--maxmemory <bytes>",
    `memory bound for job data and client buffers (100mb, 2gb… accepted; 0 = none; the default, ${humanBytes(defaults.maxMemory)}, is a safe share of the memory: docs/resp.md)`,
    bytes,
    defaults.maxMemory,
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
  .option(
    "--redis-sentinel <host:port,...>",
    "use Redis through Sentinel: these sentinels name the master (with --redis-master-name); follows failovers",
    (value: string) => value.split(",").filter((address) => address !== ""),
  )
  .option("--redis-master-name <name>", "the master's name in the sentinels' configuration")
  .option("--redis-prefix <prefix>", "prefix of every Redis key docket writes", defaults.redisPrefix)
  .option(
    "--redis-timeout <ms>",
    "ms a command waits for Redis before the client gets -TRYAGAIN",
    integer,
    defaults.redisTimeout,
  )
  .option("--tls-cert <path>", "PEM certificate for the TLS ports and HTTPS")
  .option("--tls-key <path>", "PEM private key of --tls-cert")
  .option("--tls-ca <path>", "PEM CA: TLS clients must present a certificate it signed")
  .option("--tls-port <port>", "serve RESP over TLS on this port too", integer)
  .option("--taskq-tls-port <port>", "serve the TaskQ text protocol over TLS on this port too", integer)
  .action(async (options: Record<string, unknown>) => {
    const server = await startServer({
      port: options.port as number,
      bind: options.bind as string,
      dataDir: options.dataDir as string,
      requirePass: password(options),
      maxJobSize: options.maxJobSize as number,
      maxClients: options.maxClients as number,
      clientOutputLimit: options.clientOutputLimit as number,
      maxMemory: options.maxmemory as number,
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
      redisSentinel: (options.redisSentinel as string[] | undefined) ?? [],
      redisMasterName: options.redisMasterName as string | undefined,
      redisPrefix: options.redisPrefix as string,
      redisTimeout: options.redisTimeout as number,
      tlsCert: options.tlsCert as string | undefined,
      tlsKey: options.tlsKey as string | undefined,
      tlsCa: options.tlsCa as string | undefined,
      tlsPort: (options.tlsPort as number | undefined) ?? null,
      taskqTlsPort: (options.taskqTlsPort as number | undefined) ?? null,
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
