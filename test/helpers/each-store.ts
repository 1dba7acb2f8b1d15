import { after } from "node:test";
import { startRedis, uniquePrefix, type RedisProcess } from "./redis.js";
import { testServer, type TestServer } from "./server.js";

export interface StoreServer {
  name: string;
  start(): Promise<TestServer>;
}

/**
 * A test server on each store: the embedded store, and the Redis store on
 * one redis-server the test file shares (started at first use, stopped after
 * the file), each server under its own key prefix. Call it at a file's top
 * level: it registers that stop.
 */
export function serverOnEachStore(prefix: string, options: { manualClock?: boolean } = {}): StoreServer[] {
  let redis: RedisProcess | undefined;
  after(async () => {
    await redis?.stop();
  });
  return [
    { name: "embedded store", start: () => testServer({}, options) },
    {
      name: "Redis store",
      start: async () => {
        redis ??= await startRedis();
        return testServer({ redis: [redis.url], redisPrefix: uniquePrefix(prefix) }, options);
      },
    },
  ];
}
