import assert from "node:assert/strict";
import { Engine } from "../../src/stores/embedded/engine/index.js";
import { openRedisBroker } from "../../src/stores/redis/index.js";
import { startRedis, uniquePrefix, type RedisProcess } from "../helpers/redis.js";
import type { StoreFactory } from "./harness.js";
import { replayedStore } from "./replayed.js";

/** The in-process engine, the reference semantics: synchronous, timers run by `runDue()`. */
export const engineStore: StoreFactory = {
  name: "engine",
  quietMs: 0,
  open: async (clock) => {
    const engine = new Engine({ clock });
    return { broker: engine, runDue: () => engine.runDue(), close: async () => {} };
  },
};

/**
 * The Redis store: one redis-server per test file, one key prefix per test
 * (isolation without flushing). Wake-ups travel through Redis, so a "nothing
 * happened" check waits a little real time.
 */
function redisStore(): StoreFactory {
  let server: RedisProcess | undefined;
  return {
    name: "redis",
    quietMs: 25,
    start: async () => {
      server = await startRedis();
    },
    stop: async () => {
      await server?.stop();
      server = undefined;
    },
    open: async (clock) => {
      assert.ok(server, "the redis store was not started");
      const broker = await openRedisBroker({ urls: [server.url], clock, prefix: uniquePrefix("conf") });
      return { broker, runDue: () => broker.runDue(), close: () => broker.close() };
    },
  };
}

/** Every store the conformance suite runs against. */
export const stores: StoreFactory[] = [engineStore, replayedStore, redisStore()];
