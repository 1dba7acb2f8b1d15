import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** The repository's root: the CLI tests run `dist/cli/main.js` from it. */
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli/main.js …` (npm test builds dist first); a non-zero exit is a result, not a throw. */
export async function docket(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["dist/cli/main.js", ...args], {
      cwd: REPO_ROOT,
      timeout: 20_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
