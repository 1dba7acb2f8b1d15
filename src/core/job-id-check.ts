import { badIdError, isValidJobId } from "./contract.js";

/**
 * Multi-id commands check every id first and do nothing if one is malformed:
 * Disque answers BADID before touching any job, so a command is all or nothing.
 */
export function checkIds(ids: readonly string[]): void {
  for (const id of ids) if (!isValidJobId(id)) throw badIdError();
}
