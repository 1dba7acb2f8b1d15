import { ManualClock } from "../../src/engine/index.js";
import { createLogger } from "../../src/log.js";
import { startServer, type DocketServer, type ServerConfig } from "../../src/server.js";

export interface TestServer {
  server: DocketServer;
  port: number;
  /** the HTTP door's port (0 when started with http: false) */
  httpPort: number;
  /** http://127.0.0.1:<httpPort> */
  url: string;
  clock: ManualClock | undefined;
  close(): Promise<void>;
}

/**
 * A real docket server on an ephemeral loopback port. With `manualClock`,
 * leases, delays and TTLs move only when the test advances the clock.
 */
export async function testServer(
  overrides: Partial<ServerConfig> = {},
  options: { manualClock?: boolean } = {},
): Promise<TestServer> {
  const clock = options.manualClock ? new ManualClock(Date.now()) : undefined;
  const server = await startServer(
    { port: 0, bind: "127.0.0.1", httpPort: 0, httpBind: "127.0.0.1", ...overrides },
    createLogger(process.env.DOCKET_TEST_LOG ?? "silent"),
    clock,
  );
  const httpPort = server.httpPort ?? 0;
  return {
    server,
    port: server.port,
    httpPort,
    url: `http://127.0.0.1:${httpPort}`,
    clock,
    close: () => server.close(),
  };
}
