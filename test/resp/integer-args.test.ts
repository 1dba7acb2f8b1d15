import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boundedArg, boundedBuffer } from "../../src/doors/resp/args.js";
import { RequestParser, type Request } from "../../src/doors/resp/transport/parser.js";
import { integerText } from "../../src/core/limits.js";

/**
 * Numeric arguments up to 15 bytes are read from their bytes (no string):
 * they must be read exactly as integerText reads their text, the one rule
 * (Redis's string2ll) every longer argument still goes through.
 */

/**
 * What boundedArg makes of `text` with no range in the way: the number, or
 * "error". The text is read as the parser hands it over (a span after
 * another argument, so not at the start of the input), and boundedBuffer's
 * reading of the same text as a Buffer must agree.
 */
function read(text: string): number | "error" {
  const bytes = Buffer.from(text, "latin1");
  const parser = new RequestParser();
  parser.feed(
    Buffer.concat([Buffer.from(`*2\r\n$3\r\nSET\r\n$${bytes.length}\r\n`), bytes, Buffer.from("\r\n")]),
  );
  const { args } = parser.next() as Request;
  const span = outcome(() => boundedArg(args, 1, "n", -Infinity, Infinity, "not an integer"));
  const buffer = outcome(() => boundedBuffer(bytes, "n", -Infinity, Infinity, "not an integer"));
  assert.equal(span, buffer, `span and Buffer readings of ${JSON.stringify(text)}`);
  return span;
}

function outcome(parse: () => number): number | "error" {
  try {
    return parse();
  } catch {
    return "error";
  }
}

function expected(text: string): number | "error" {
  const value = integerText(text);
  return value === undefined ? "error" : value;
}

describe("integer arguments read from their bytes", () => {
  it("read edge cases as integerText does", () => {
    const cases = [
      "0",
      "-0",
      "00",
      "01",
      "-01",
      "-",
      "",
      "1",
      "-1",
      "9",
      "10",
      "123456789012345",
      "-12345678901234",
      "999999999999999",
      "1234567890123456",
      "9007199254740993",
      "+1",
      " 1",
      "1 ",
      "1e3",
      "0x10",
      "1.0",
      "NaN",
      "--1",
      "1-",
      "/",
      ":",
      "2147483647",
      "2147483648",
      "-2147483648",
    ];
    for (const text of cases) assert.equal(read(text), expected(text), JSON.stringify(text));
  });

  it("read random short texts of digits, signs and other bytes as integerText does", () => {
    const alphabet = "0123456789-+ .e/:";
    let seed = 12345;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let n = 0; n < 20_000; n++) {
      const length = Math.floor(random() * 18);
      let text = "";
      // mostly digits, so that many texts are integers
      for (let i = 0; i < length; i++)
        text +=
          random() < 0.85
            ? String(Math.floor(random() * 10))
            : alphabet[Math.floor(random() * alphabet.length)];
      assert.equal(read(text), expected(text), JSON.stringify(text));
    }
  });
});
