import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bufferView } from "../../src/util/buffer-view.js";

describe("bufferView", () => {
  it("is the Buffer subarray gives: same bytes, same memory, a Buffer with Buffer's methods", () => {
    const whole = Buffer.from("0123456789abcdef");
    const parent = whole.subarray(3, 14); // a view itself: its byteOffset is not 0
    for (const [start, end] of [
      [0, 0],
      [0, 11],
      [2, 5],
      [11, 11],
    ] as const) {
      const view = bufferView(parent, start, end);
      const expected = parent.subarray(start, end);
      assert.ok(Buffer.isBuffer(view));
      assert.equal(Object.getPrototypeOf(view), Buffer.prototype);
      assert.equal(view.buffer, parent.buffer);
      assert.equal(view.byteOffset, expected.byteOffset);
      assert.equal(view.length, expected.length);
      assert.equal(view.toString("latin1"), expected.toString("latin1"));
      assert.ok(view.equals(expected));
    }
    // it shares memory: a write through the view shows in the parent
    bufferView(parent, 1, 2)[0] = 0x58;
    assert.equal(parent.toString("latin1", 0, 3), "3X5");
  });

  it("refuses a range past the parent's memory, where subarray would clamp", () => {
    const buf = Buffer.alloc(8);
    assert.throws(() => bufferView(buf, 4, 4 + buf.buffer.byteLength), RangeError);
  });
});
