import type { ServerConfig } from "../../src/server.js";
import { startRedis, uniquePrefix } from "../helpers/redis.js";
import { testServer, type TestServer } from "../helpers/server.js";

/**
 * The stores the client's failure tests run on: the embedded one, and Redis
 * (a redis-server of the test's own). Each start gives a server whose close
 * also stops its Redis.
 */
export const STORES = ["embedded", "redis"] as const;
export type StoreName = (typeof STORES)[number];

export async function serverOn(store: StoreName, overrides: Partial<ServerConfig> = {}): Promise<TestServer> {
  if (store === "embedded") return testServer(overrides);
  const redis = await startRedis();
  try {
    const t = await testServer({ ...overrides, redis: [redis.url], redisPrefix: uniquePrefix("client") });
    return {
      ...t,
      close: async () => {
        await t.close();
        await redis.stop();
      },
    };
  } catch (error) {
    await redis.stop();
    throw error;
  }
}
