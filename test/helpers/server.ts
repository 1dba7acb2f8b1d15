import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach } from "node:test";
import { Redis } from "ioredis";
import { ManualClock } from "../../src/stores/embedded/engine/index.js";
import type { JournalFs } from "../../src/stores/embedded/journal/index.js";
import { createLogger, type Logger } from "../../src/log.js";
import { startServer, type DocketServer, type ServerConfig } from "../../src/server.js";
import { RawClient, simple } from "./raw-client.js";

export interface TestServer {
  server: DocketServer;
  port: number;
  /** the HTTP door's port (0 when started with http: false) */
  httpPort: number;
  /** http://127.0.0.1:<httpPort> */
  url: string;
  clock: ManualClock | undefined;
  dataDir: string;
  close(): Promise<void>;
}

/** A fresh, empty data directory under the system temp dir. */
export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), "docket-test-"));
}

/** Makes fresh data directories (tempDataDir), every one removed after the calling file's tests. */
export function dataDirs(): () => string {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = tempDataDir();
    dirs.push(dir);
    return dir;
  };
}

/** An ioredis client connected to a docket on `port`, failing fast instead of retrying. */
export async function ioredisClient(port: number): Promise<Redis> {
  const redis = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  return redis;
}

/**
 * A real docket server on an ephemeral loopback port. With `manualClock`,
 * leases, delays and TTLs move only when the test advances the clock. Its
 * journal lives in a fresh temp directory (removed on close) unless the
 * test passes `dataDir` (then the directory is the test's to remove).
 */
export async function testServer(
  overrides: Partial<ServerConfig> = {},
  options: { manualClock?: boolean; clock?: ManualClock; journalFs?: JournalFs; logger?: Logger } = {},
): Promise<TestServer> {
  const clock = options.clock ?? (options.manualClock ? new ManualClock(Date.now()) : undefined);
  const ownDir = overrides.dataDir === undefined;
  const dataDir = overrides.dataDir ?? tempDataDir();
  const server = await startServer(
    { port: 0, bind: "127.0.0.1", httpPort: 0, httpBind: "127.0.0.1", ...overrides, dataDir },
    options.logger ?? createLogger(process.env.DOCKET_TEST_LOG ?? "silent"),
    clock,
    options.journalFs,
  );
  const httpPort = server.httpPort ?? 0;
  return {
    server,
    port: server.port,
    httpPort,
    url: `http://127.0.0.1:${httpPort}`,
    clock,
    dataDir,
    close: async () => {
      await server.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A server shared by one describe block, with a RESP client on it. */
export interface SuiteServer {
  server: TestServer;
  resp: RawClient;
}

/**
 * Starts a server (and a RESP client) before a describe block's tests, closes
 * both after them, and empties the server with DEBUG FLUSHALL before each test.
 */
export function serverPerSuite(start: () => Promise<TestServer> = () => testServer()): SuiteServer {
  const suite = {} as SuiteServer;
  before(async () => {
    suite.server = await start();
    suite.resp = await RawClient.connect(suite.server.port);
  });
  after(async () => {
    suite.resp?.close();
    await suite.server?.close();
  });
  beforeEach(async () => {
    assert.equal(await suite.resp.call("DEBUG", "FLUSHALL"), simple("OK"));
  });
  return suite;
}
