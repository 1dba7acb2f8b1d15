import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { format } from "prettier";
import { settingsTable } from "../../src/cli/command-docs.js";

const START = "<!-- settings: generated from src/settings.ts by `npm run docs` -->";
const END = "<!-- settings: end -->";

/** README's flag table is generated from the settings table: it must be regenerated when the table changes. */
describe("README's settings table", () => {
  it("is the table src/settings.ts renders now", async () => {
    const readme = readFileSync("README.md", "utf8");
    const from = readme.indexOf(START);
    const to = readme.indexOf(END);
    assert.ok(from >= 0 && to > from, "README.md has lost its settings markers");
    const written = readme.slice(from + START.length, to).trim();
    const expected = (await format(settingsTable(), { parser: "markdown", printWidth: 110 })).trim();
    assert.ok(written === expected, "README.md's settings table is stale: run `npm run docs`");
  });
});
