import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { IdGenerator } from "../../src/core/ids.js";
import { IdText } from "../../src/stores/embedded/engine/id-column.js";
import { FREE, HELD, JobTable, LIVE } from "../../src/stores/embedded/engine/job-table.js";

/**
 * The engine's job table (engine/job-table.ts): fields as columns, live jobs
 * found by id through an open-addressing hash. Checked against a Map as
 * the model, through growth, deletions (backward shift) and slot reuse.
 */

function newJob(table: JobTable, id: string, seq: number) {
  return table.create(id, seq, `q${seq % 7}`, Buffer.from(`body ${seq}`), 1_000 + seq, 60, 5, 0, 1);
}

describe("the job table", () => {
  it("finds exactly the live jobs through thousands of adds and deletes (a Map as the model)", () => {
    const table = new JobTable();
    const ids = new IdGenerator("0123abcd");
    const model = new Map<string, number>();
    const gone: string[] = [];
    let seq = 1;
    // a deterministic walk: mostly adds, then waves of deletes, through several rehashes
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 500; i++) {
        const id = ids.next(60, 5);
        const job = newJob(table, id, seq);
        table.link(job.slot);
        model.set(id, seq++);
      }
      const live = [...model.keys()];
      for (let i = round % 3; i < live.length; i += 3) {
        const slot = table.find(live[i]!);
        assert.ok(slot >= 0);
        table.release(slot);
        model.delete(live[i]!);
        gone.push(live[i]!);
      }
      // a job that left is never found again (not even the one whose link grew the hash)
      for (const id of gone) assert.equal(table.find(id), -1, id);
      table.recycle();
      assert.equal(table.size, model.size);
      for (const [id, wantSeq] of model) {
        const job = table.get(id);
        assert.ok(job, id);
        assert.equal(job.seq, wantSeq);
        assert.equal(job.id, id);
        assert.equal(job.queue, `q${wantSeq % 7}`);
        assert.equal(job.body.toString(), `body ${wantSeq}`);
      }
    }
    assert.equal([...table.values()].length, model.size);
    // all go: none is found, and the hash holds no entry for any of them
    for (const id of model.keys()) table.release(table.find(id));
    for (const id of [...model.keys(), ...gone]) assert.equal(table.find(id), -1, id);
    assert.equal(table.size, 0);
  });

  it("finds no job that left, through every growth of the hash (10,000 live at once)", () => {
    const table = new JobTable();
    const minter = new IdGenerator("0123abcd");
    const ids: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const id = minter.next(60, 5);
      table.link(newJob(table, id, i + 1).slot);
      ids.push(id);
    }
    for (const id of ids) table.release(table.find(id));
    table.recycle();
    for (const id of ids) assert.equal(table.find(id), -1, id);
    assert.equal(table.size, 0);
  });

  it("tells apart ids of the same hash, through deletions in their cluster and growth", () => {
    // every id's first four random bytes are the same: one hash, one cluster of buckets
    let counter = 0;
    const sameHash = (size: number): Buffer => {
      const bytes = Buffer.alloc(size);
      for (let at = 0; at + 18 <= size; at += 18) {
        bytes.writeUInt32BE(0xdeadbeef, at);
        bytes.writeUInt32BE(++counter, at + 8);
      }
      return bytes;
    };
    const table = new JobTable();
    const minter = new IdGenerator("0123abcd", sameHash);
    const ids: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const id = minter.next(60, 5);
      table.link(newJob(table, id, i + 1).slot);
      ids.push(id);
    }
    assert.equal(new Set(ids).size, ids.length);
    for (let i = 0; i < ids.length; i += 2) table.release(table.find(ids[i]!));
    table.recycle();
    ids.forEach((id, i) => {
      const slot = table.find(id);
      if (i % 2 === 0) assert.equal(slot, -1, id);
      else assert.equal(table.idOf(slot), id);
    });
    assert.equal(table.size, ids.length / 2);
  });

  it("does not find ids it never held, made-up or malformed", () => {
    const table = new JobTable();
    const ids = new IdGenerator("0123abcd");
    for (let i = 0; i < 2000; i++) table.link(newJob(table, ids.next(60, 5), i + 1).slot);
    const other = new IdGenerator("0123abcd", () => randomBytes(18 * 1024));
    for (let i = 0; i < 2000; i++) assert.equal(table.find(other.next(60, 5)), -1);
    assert.equal(table.find(""), -1);
    assert.equal(table.find("D-0123abcd-short"), -1);
    assert.equal(table.find("x".repeat(40)), -1);
  });

  it("keeps a released slot's fields readable, and reuses the slot only after recycle()", () => {
    const table = new JobTable();
    const first = newJob(table, "D-0123abcd-AAAAAAAAAAAAAAAAAAAAAAAA-0001", 1);
    table.link(first.slot);
    table.release(first.slot);
    assert.equal(table.kindOf(first.slot), FREE);
    assert.equal(table.size, 0);
    assert.equal(table.find(first.id), -1);
    // the command that let it go can still read it (a redrive reads the letter it takes)
    assert.equal(first.body.toString(), "body 1");
    const second = newJob(table, "D-0123abcd-BBBBBBBBBBBBBBBBBBBBBBBB-0001", 2);
    assert.notEqual(second.slot, first.slot);
    table.recycle();
    const third = newJob(table, "D-0123abcd-CCCCCCCCCCCCCCCCCCCCCCCC-0001", 3);
    assert.equal(third.slot, first.slot);
    assert.equal(third.nacks, 0);
    assert.equal(third.body.toString(), "body 3");
  });

  it("holds a job that is not live (a dead letter): not found by id, fields kept", () => {
    const table = new JobTable();
    const job = newJob(table, "D-0123abcd-DDDDDDDDDDDDDDDDDDDDDDDD-0001", 9);
    table.link(job.slot);
    job.nacks = 3;
    job.attempts = [{ at: 5, cause: "nack", error: "boom" }];
    assert.equal(table.unlink(job.slot), true);
    assert.equal(table.unlink(job.slot), false);
    assert.equal(table.kindOf(job.slot), HELD);
    assert.equal(table.find(job.id), -1);
    assert.equal(job.nacks, 3);
    assert.deepEqual(job.attempts, [{ at: 5, cause: "nack", error: "boom" }]);
    table.link(job.slot);
    assert.equal(table.kindOf(job.slot), LIVE);
    assert.equal(table.get(job.id)?.slot, job.slot);
  });

  it("keeps every field through growth", () => {
    const table = new JobTable();
    const ids = new IdGenerator("0123abcd");
    const jobs = [];
    for (let i = 0; i < 5000; i++) {
      const job = newJob(table, ids.next(60, 5), i + 1);
      job.rank = -i;
      job.awakeAt = 2 ** 40 + i;
      job.priority = i;
      job.origin = "resp";
      table.link(job.slot);
      jobs.push({ id: job.id, slot: job.slot });
    }
    assert.ok(table.capacity >= 5000);
    for (const [i, { id, slot }] of jobs.entries()) {
      const job = table.view(slot);
      assert.equal(job.id, id);
      assert.equal(job.rank, -i);
      assert.equal(job.awakeAt, 2 ** 40 + i);
      assert.equal(job.priority, i);
      assert.equal(job.origin, "resp");
      assert.equal(job.createdAt, 1_001 + i);
    }
  });

  for (const given of ["as a string", "as its text in a record (recovery)"]) {
    it(`keeps every id as it was, given ${given}: the usual shape compactly, any other shape whole`, () => {
      const table = new JobTable();
      const text = new IdText();
      /** a record's bytes around the id: the id column must read from `at`, not from the buffer's start */
      const record = (id: string) => Buffer.from(`..${id}..`, "latin1");
      const usual = new IdGenerator("0123abcd");
      const ids = [
        usual.next(60, 5),
        usual.next(0, 0),
        new IdGenerator("ffffffff").next(4_000_000, 1),
        "D-0123abcd-AAAAAAAAAAAAAAAAAAAAAAAA-05A1", // upper-case suffix
        "D-0123abcd-AAAAAAAAAAAAAAAAAAAAA*AA-05a1", // not base64
        "D-0123abcd-AAAAAAAAAAAAAAAAAAAAAAAA_05a1", // no dash
        "D-01\u00e93abcd-AAAAAAAAAAAAAAAAAAAAAAA-05a1".slice(0, 40),
      ];
      // more node prefixes than a byte numbers: the later ones are kept whole
      for (let node = 0; node < 300; node++)
        ids.push(new IdGenerator(node.toString(16).padStart(8, "0")).next(60, 5));
      const slots = ids.map((id, i) => {
        let job;
        if (given === "as a string") job = newJob(table, id, i + 1);
        else {
          text.point(record(id), 2, id.length);
          job = table.create(undefined, i + 1, "q", "b", 1_000, 60, 5, 0, 1, text);
        }
        table.link(job.slot);
        return job.slot;
      });
      for (const [i, id] of ids.entries()) {
        assert.equal(table.view(slots[i]!).id, id);
        assert.equal(table.find(id), slots[i], id);
      }
      // a near miss of each is not found
      for (const id of ids)
        assert.equal(table.find(id.slice(0, 39) + (id.endsWith("0") ? "1" : "0")), -1, id);
      for (const slot of slots) table.release(slot);
      table.recycle();
      assert.equal(table.size, 0);
      for (const id of ids) assert.equal(table.find(id), -1);
    });
  }

  it("keeps a freshly minted id from its random bytes exactly as its text says, whichever generator minted it", () => {
    const table = new JobTable();
    // two node prefixes (a renamed node), and one too short for the usual shape (kept whole)
    const minters = ["0123abcd", "ffff0000", "short"].map((prefix) => new IdGenerator(prefix));
    const ids: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const minter = minters[Math.floor(i / 7) % 3]!;
      const id = minter.next(i % 2 === 0 ? 60 : 86_400, i % 3);
      const job = table.create(id, i + 1, "q", "b", 1_000, 60, 5, 0, 1, minter);
      table.link(job.slot);
      ids.push(id);
    }
    for (const [i, id] of ids.entries()) {
      assert.equal(table.find(id), i);
      assert.equal(table.view(i).id, id);
    }
  });
});
