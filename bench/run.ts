/**
 * `npm run bench`: runs every benchmark suite in bench/ (each `*.ts` file
 * with a main, not the helpers), one process each, one after the other.
 * `npm run bench -- journal` runs only the suites whose name contains "journal".
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const HELPERS = new Set(["run.ts", "resp-load.ts"]);
const dir = fileURLToPath(new URL(".", import.meta.url));
const filter = process.argv[2];
const suites = readdirSync(dir)
  .filter((name) => name.endsWith(".ts") && !HELPERS.has(name))
  .filter((name) => filter === undefined || name.includes(filter))
  .sort();
let failed = false;
for (const suite of suites) {
  console.log(`\n=== bench/${suite}`);
  const result = spawnSync(process.execPath, ["--import", "tsx", `${dir}${suite}`], { stdio: "inherit" });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
