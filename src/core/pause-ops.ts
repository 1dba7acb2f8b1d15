import type { PauseOp, PauseState } from "./contract.js";

/**
 * PAUSE's options are read left to right and the last state option wins
 * (`PAUSE q in out none` leaves q unpaused); STATE and BCAST only ask for the
 * reply and the broadcast. Returns undefined when no option sets a state.
 */
export function foldPauseOps(ops: readonly PauseOp[]): PauseState | undefined {
  let state: PauseState | undefined;
  for (const op of ops) if (op !== "state" && op !== "bcast") state = op;
  return state;
}
