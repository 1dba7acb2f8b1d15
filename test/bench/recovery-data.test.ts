import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadedLine, writeDataDir } from "../../bench/recovery-data.js";
import { launchServer } from "../helpers/process.js";
import { RawClient, int } from "../helpers/raw-client.js";

/** The recovery benches' data writer against the real server (dist/): keeps bench/ from rotting. */
describe("bench recovery data", () => {
  for (const as of ["journal", "snapshot"] as const) {
    it(`the server recovers every job of a written ${as}, in its queues`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "docket-recovery-data-"));
      try {
        writeDataDir(dir, { jobs: 300, bodyBytes: 20, queues: 3, as });
        const server = await launchServer(dir).ready;
        try {
          assert.equal(loadedLine(server.lines).jobs, 300);
          const client = await RawClient.connect(server.port);
          try {
            for (const queue of ["queue-0", "queue-1", "queue-2"]) {
              assert.equal(await client.call("QLEN", queue), int(100));
            }
          } finally {
            client.close();
          }
        } finally {
          server.child.kill("SIGKILL");
          await server.exited;
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
