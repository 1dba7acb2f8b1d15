// Copies what tsc does not emit but the compiled code reads at run time:
// the Redis store's Lua scripts (src/stores/redis/scripts -> dist/stores/redis/scripts) and the
// dashboard's static files (src/dashboard -> dist/dashboard).
import { cpSync, rmSync } from "node:fs";

const ASSETS = ["stores/redis/scripts", "dashboard"];

for (const dir of ASSETS) {
  // Removed first, so a script deleted from src does not linger in dist.
  rmSync(`dist/${dir}`, { recursive: true, force: true });
  cpSync(`src/${dir}`, `dist/${dir}`, { recursive: true });
}
