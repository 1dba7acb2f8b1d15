import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { assertCliRefuses, launchServer, runCli } from "../helpers/process.js";
import { RawClient, error, simple } from "../helpers/raw-client.js";
import { tempDataDir } from "../helpers/server.js";

/** The password can come from DOCKET_PASSWORD or --requirepass-file, so it does not show in `ps`. */

async function expectPassword(port: number, password: string): Promise<void> {
  const c = await RawClient.connect(port);
  assert.equal(await c.call("PING"), error("NOAUTH Authentication required."));
  assert.equal(await c.call("AUTH", password), simple("OK"));
  assert.equal(await c.call("PING"), simple("PONG"));
  c.close();
}

async function withServer(
  args: string[],
  env: Record<string, string>,
  check: (port: number) => Promise<void>,
): Promise<void> {
  const dir = tempDataDir();
  const launched = launchServer(dir, args, [], env);
  try {
    const { port } = await launched.ready;
    await check(port);
  } finally {
    launched.child.kill("SIGKILL");
    await launched.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("password sources", () => {
  it("DOCKET_PASSWORD sets the password", async () => {
    await withServer([], { DOCKET_PASSWORD: "from-env" }, (port) => expectPassword(port, "from-env"));
  });

  it("--requirepass-file: the first line, its newline stripped", async () => {
    const dir = tempDataDir();
    const file = join(dir, "password");
    writeFileSync(file, "from file\r\nsecond line ignored\n");
    try {
      await withServer(["--requirepass-file", file], {}, (port) => expectPassword(port, "from file"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the client commands take DOCKET_PASSWORD too", async () => {
    await withServer([], { DOCKET_PASSWORD: "from-env" }, async (port) => {
      const add = ["add", "q", "body", "--port", String(port)];
      const ok = await runCli(add, { DOCKET_PASSWORD: "from-env" });
      assert.equal(ok.code, 0, ok.stderr);
      const none = await runCli(add, { DOCKET_PASSWORD: "" });
      assert.match(none.stderr, /NOAUTH/);
    });
  });

  it("--requirepass wins over DOCKET_PASSWORD", async () => {
    await withServer(["--requirepass", "flag"], { DOCKET_PASSWORD: "env" }, (port) =>
      expectPassword(port, "flag"),
    );
  });

  it("refuses an empty, unreadable or missing password file, and two password flags", async () => {
    const dir = tempDataDir();
    try {
      const empty = join(dir, "empty");
      writeFileSync(empty, "\n");
      // a directory cannot be read as a file, whoever runs the test (root reads any mode bits)
      const unreadable = join(dir, "unreadable");
      mkdirSync(unreadable);
      const data = join(dir, "data");
      const serve = ["serve", "--port", "0", "--no-http", "--data-dir", data];
      const cases: Array<[string[], RegExp]> = [
        [["--requirepass-file", empty], /requirepass-file .*empty.* is empty/],
        [["--requirepass-file", join(dir, "missing")], /requirepass-file: cannot read .*missing/],
        [["--requirepass", "a", "--requirepass-file", empty], /either --requirepass or --requirepass-file/],
        [["--requirepass-file", unreadable], /requirepass-file: cannot read .*unreadable/],
      ];
      for (const [args, message] of cases) await assertCliRefuses([...serve, ...args], message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
