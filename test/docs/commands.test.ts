import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { COMMANDS_DOC, renderCommandReference } from "../../src/cli/command-docs.js";
import { respCommandTable } from "../../src/doors/resp/table.js";

/** docs/commands.md is generated from the command tables: it must be regenerated when they change. */
describe("docs/commands.md", () => {
  it("is what `npm run docs` generates from the command tables now", async () => {
    const written = readFileSync(COMMANDS_DOC, "utf8");
    assert.ok(written === (await renderCommandReference()), "docs/commands.md is stale: run `npm run docs`");
  });

  it("names every RESP command with its syntax", () => {
    const written = readFileSync(COMMANDS_DOC, "utf8");
    for (const spec of respCommandTable().all()) {
      assert.ok(written.includes(`### ${spec.name.toUpperCase()}\n`), spec.name);
      assert.ok(written.includes(spec.syntax), spec.syntax);
    }
  });
});
