import { readFileSync, writeFileSync } from "node:fs";
import { format } from "prettier";
import { COMMANDS_DOC, renderCommandReference, settingsTable } from "../src/cli/command-docs.js";

// `npm run docs`: rewrites the generated reference from the command tables,
// and README's flag table from the settings table.
writeFileSync(COMMANDS_DOC, await renderCommandReference());
console.log(`wrote ${COMMANDS_DOC}`);

const START = "<!-- settings: generated from src/settings.ts by `npm run docs` -->";
const END = "<!-- settings: end -->";
const readme = readFileSync("README.md", "utf8");
const from = readme.indexOf(START);
const to = readme.indexOf(END);
if (from < 0 || to < from) throw new Error("README.md has lost its settings markers");
const table = await format(settingsTable(), { parser: "markdown", printWidth: 110 });
writeFileSync("README.md", `${readme.slice(0, from + START.length)}\n\n${table}\n${readme.slice(to)}`);
console.log("wrote README.md's settings table");
