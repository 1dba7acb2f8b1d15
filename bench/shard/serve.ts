import { startShardServer } from "./listener.js";

/** `node --import tsx bench/shard/serve.ts PORT WORKERS`: the prototype as a process of its own, for bench/shards.ts. */
const [port, workers] = process.argv.slice(2).map(Number);
const server = await startShardServer({ port: port!, workers: workers! });
process.on("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
