#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from "commander";
import { readFileSync } from "node:fs";
import { defaultConfig, type ServerConfig } from "../config.js";
import { SETTINGS, type Setting } from "../settings.js";
import { startServer } from "../server.js";
import { readPasswordFile } from "../util/password.js";
import { humanBytes, parseBytes } from "../util/memory.js";
import { addClientCommands } from "./client-commands.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

function integer(value: string): number {
  const n = Number(value);
  // a sign is allowed: the ranges (settings.ts) refuse what is out of them, e.g. --default-retries -1 is in
  if (!/^-?[0-9]+$/.test(value) || !Number.isSafeInteger(n)) {
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

/** The `serve` flag of one setting of the table (src/settings.ts). */
function optionOf(setting: Setting): Option {
  const option = new Option(setting.flag!, setting.help);
  const fallback = setting.key === undefined ? undefined : defaults[setting.key];
  switch (setting.kind) {
    case "integer":
      return option.argParser(integer).default(fallback);
    case "port":
      return option.argParser(integer);
    case "bytes":
      // the default depends on this machine's memory: say what it is here
      return option.argParser(bytes).default(fallback, humanBytes(defaults.maxMemory));
    case "choice":
      return option.choices(setting.choices!).default(fallback);
    case "switch":
      return option.default(false);
    case "list":
      // --redis takes values, --redis-sentinel one comma list
      return setting.flag!.includes("...")
        ? option
        : option.argParser((value: string) => value.split(",").filter((address) => address !== ""));
    case "negated":
      return option;
    case "text":
      return typeof fallback === "string" ? option.default(fallback) : option;
  }
}

/** commander's name of a flag's value: --max-job-size → maxJobSize, --no-http → http */
function optionName(flag: string): string {
  return flag
    .split(" ")[0]!
    .replace(/^--(no-)?/, "")
    .replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** The server's settings from the parsed flags, by the table. */
function configOf(options: Record<string, unknown>): Partial<ServerConfig> {
  const config: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    if (setting.flag === undefined || setting.key === undefined) continue;
    const value = options[optionName(setting.flag)];
    if (setting.kind === "port") config[setting.key] = value ?? null;
    else if (setting.kind === "list") config[setting.key] = value ?? [];
    else config[setting.key] = value;
  }
  config.requirePass = password(options);
  return config as Partial<ServerConfig>;
}

const serve = program.command("serve").description("start the server");
for (const setting of SETTINGS) if (setting.flag !== undefined) serve.addOption(optionOf(setting));
serve.action(async (options: Record<string, unknown>) => {
  const server = await startServer(configOf(options));
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
