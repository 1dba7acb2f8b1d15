import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { globMatch } from "../../src/util/glob.js";
import { Rng } from "../helpers/prng.js";

/**
 * Redis's stringmatchlen (util.c), transcribed: recursive on `*`, so
 * exponential on hostile patterns; the reference for short random ones.
 */
function redisMatch(p: string, s: string, nocase: boolean): boolean {
  const low = (c: string) => (nocase ? c.replace(/[A-Z]/g, (x) => x.toLowerCase()) : c);
  let pi = 0;
  let si = 0;
  while (pi < p.length && si < s.length) {
    switch (p[pi]) {
      case "*":
        while (p[pi + 1] === "*") pi++;
        if (pi + 1 === p.length) return true;
        for (let k = si; k < s.length; k++) if (redisMatch(p.slice(pi + 1), s.slice(k), nocase)) return true;
        return false;
      case "?":
        si++;
        break;
      case "[": {
        pi++;
        const not = p[pi] === "^";
        if (not) pi++;
        let match = false;
        for (;;) {
          if (p[pi] === "\\" && p.length - pi >= 2) {
            pi++;
            if (low(p[pi]!) === low(s[si]!)) match = true;
          } else if (p[pi] === "]") {
            break;
          } else if (pi >= p.length) {
            pi--;
            break;
          } else if (p.length - pi >= 3 && p[pi + 1] === "-") {
            let start = low(p[pi]!).charCodeAt(0);
            let end = low(p[pi + 2]!).charCodeAt(0);
            if (start > end) [start, end] = [end, start];
            const c = low(s[si]!).charCodeAt(0);
            pi += 2;
            if (c >= start && c <= end) match = true;
          } else if (low(p[pi]!) === low(s[si]!)) {
            match = true;
          }
          pi++;
        }
        if (not) match = !match;
        if (!match) return false;
        si++;
        break;
      }
      default:
        if (p[pi] === "\\" && p.length - pi >= 2) pi++;
        if (low(p[pi]!) !== low(s[si]!)) return false;
        si++;
    }
    pi++;
    if (si === s.length) while (p[pi] === "*") pi++;
  }
  return pi === p.length && si === s.length;
}

describe("glob (Redis stringmatchlen semantics)", () => {
  it("matches stars, ?, classes, ranges, negation and escapes", () => {
    const cases: Array<[string, string, boolean]> = [
      ["*", "", false],
      ["", "", true],
      ["*", "maxclients", true],
      ["max*", "maxclients", true],
      ["*clients", "maxclients", true],
      ["m*x*s", "maxclients", true],
      ["m?xclients", "maxclients", true],
      ["m?clients", "maxclients", false],
      ["[mn]axclients", "maxclients", true],
      ["[^m]axclients", "maxclients", false],
      ["[a-z]ax*", "maxclients", true],
      ["[z-a]ax*", "maxclients", true],
      ["[]", "a", false],
      ["[^]", "a", true],
      ["[abc", "b", true],
      ["\\*", "*", true],
      ["\\*", "a", false],
      ["a\\", "a\\", true],
      ["[\\]]", "]", true],
      ["**", "x", true],
      ["?", "", false],
      ["a*", "b", false],
    ];
    for (const [pattern, text, expected] of cases) {
      assert.equal(globMatch(pattern, text), expected, `${pattern} ~ ${text}`);
      assert.equal(redisMatch(pattern, text, false), expected, `reference: ${pattern} ~ ${text}`);
    }
  });

  it("ignores ASCII case when asked, ranges included", () => {
    assert.ok(globMatch("MAX*", "maxclients", true));
    assert.ok(globMatch("[A-Z]ax*", "maxclients", true));
    assert.ok(!globMatch("MAX*", "maxclients"));
  });

  it("agrees with Redis's matcher on random short patterns", () => {
    const rng = new Rng(11);
    const alphabet = ["a", "b", "*", "?", "[", "]", "^", "-", "\\"];
    for (let i = 0; i < 20_000; i++) {
      let pattern = "";
      for (let n = rng.int(0, 8); n > 0; n--) pattern += rng.pick(alphabet);
      let text = "";
      for (let n = rng.int(0, 6); n > 0; n--) text += rng.pick(["a", "b", "-", "]", "A"]);
      const nocase = rng.chance(0.3);
      assert.equal(
        globMatch(pattern, text, nocase),
        redisMatch(pattern, text, nocase),
        `${pattern} ~ ${text}`,
      );
    }
  });

  it("answers a star-heavy pattern that never matches at once", () => {
    const started = performance.now();
    assert.ok(!globMatch(`${"*".repeat(10_000)}!`, "a".repeat(10_000)));
    assert.ok(!globMatch(`${"*a".repeat(200)}!`, "a".repeat(2_000)));
    assert.ok(performance.now() - started < 1_000);
  });
});
