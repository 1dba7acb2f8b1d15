import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ClientSignal } from "../../src/doors/resp/wait.js";

/** The RESP door's light signal must behave as the AbortSignal the stores were written against. */
describe("ClientSignal (a blocked RESP call's cancellation)", () => {
  for (const [name, make] of [
    ["ClientSignal", () => new ClientSignal()],
    ["AbortSignal", () => new AbortController()],
  ] as const) {
    it(`${name}: each listener once, in order; a removed one not at all; none after the abort`, () => {
      const made = make();
      const signal = made instanceof AbortController ? made.signal : made;
      const abort = () => (made instanceof AbortController ? made.abort() : made.abort());
      const calls: string[] = [];
      const a = () => calls.push("a");
      const b = () => calls.push("b");
      const c = () => calls.push("c");
      signal.addEventListener("abort", a, { once: true });
      signal.addEventListener("abort", b);
      signal.addEventListener("abort", c);
      signal.removeEventListener("abort", b);
      assert.equal(signal.aborted, false);
      abort();
      abort();
      assert.equal(signal.aborted, true);
      signal.addEventListener("abort", () => calls.push("late"));
      abort();
      assert.deepEqual(calls, ["a", "c"]);
    });
  }
});
