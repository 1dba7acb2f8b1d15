import { join } from "node:path";
import { NODE_ID_FILE } from "./files.js";
import { readSmallFile, replaceFile, type JournalFs } from "./fs.js";

/**
 * The node id a data directory belongs to. Disque keeps its node id with its
 * data, and so does docket: job ids carry the id's first 8 hex digits and
 * SHOW's nodes-delivered names it, so a restarted node must come back as
 * itself. The id is one line of 40 hex digits in NODE_ID, written
 * atomically the first time a directory is opened (also a directory an older
 * docket wrote, which has none): that first id is `fresh`.
 */

const NODE_ID = /^[0-9a-f]{40}$/;

export class NodeIdError extends Error {
  override name = "NodeIdError";
}

export async function keepNodeId(fs: JournalFs, dir: string, fresh: string): Promise<string> {
  const text = await readSmallFile(fs, dir, NODE_ID_FILE, 1024);
  if (text === undefined) {
    await replaceFile(fs, dir, NODE_ID_FILE, `${fresh}\n`);
    return fresh;
  }
  const id = text.trim();
  if (!NODE_ID.test(id)) {
    // Not made up anew: the jobs in this directory carry the old id.
    throw new NodeIdError(
      `${join(dir, NODE_ID_FILE)} is damaged (expected 40 hex digits): restore it, or delete it to give this node a new id`,
    );
  }
  return id;
}
