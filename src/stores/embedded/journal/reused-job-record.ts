import { BodyRange } from "../engine/body-arena.js";
import { IdText } from "../engine/id-column.js";
import type { ReplayedJob, StoredJob } from "../engine/restore.js";
import { decodeJobInto, decodeRecord } from "./decode.js";
import { JOB_FIELDS } from "./fields.js";
import { T_JOB, type JournalRecord } from "./format.js";

/**
 * Recovery's decoder (reader.ts `decode`): a job record is decoded into one
 * object reused for every job record, its id and small body left as bytes
 * in the read buffer (`idText`, `bodyRange`), where the table's id column
 * parses the one and its page's arena copies the other (no string is
 * made). A million job records at start-up otherwise cost a record, a job
 * object, an id string and a body string each, the first three garbage a
 * moment later. Every other record is decoded by decodeRecord.
 *
 * The job it hands out is valid only until the next record is decoded:
 * whoever keeps one copies it (`{ ...job, id: job.id, idText: undefined,
 * bodyRange: undefined }`: `id` and `body` are getters, made a string and
 * a Buffer when read).
 */
export class ReusedJobRecord {
  private readonly idText = new IdText();
  private readonly bodyRange = new BodyRange();
  private readonly job: ReplayedJob;
  private readonly record: JournalRecord;
  /** whether the last job set a field `decode` does not reset by name */
  private rare = true;

  constructor() {
    const idText = this.idText;
    // every field of the table present from the start (the optional ones undefined): added
    // later, one by one, they would turn the object into a slow dictionary
    const fields: Record<string, unknown> = {};
    for (const row of JOB_FIELDS) if (row.key !== "id" && row.key !== "body") fields[row.key] = row.fallback;
    const bodyRange = this.bodyRange;
    this.job = {
      ...(fields as unknown as StoredJob),
      get id(): string {
        return idText.toString();
      },
      get idText(): IdText {
        return idText;
      },
      // a small body stays in the read buffer (`bodyRange`) until someone asks for a Buffer
      get body(): Buffer {
        return bodyRange.toBuffer();
      },
      set body(value: Buffer | string) {
        bodyRange.own(value);
      },
      get bodyRange(): BodyRange {
        return bodyRange;
      },
    };
    this.record = { type: T_JOB, job: this.job };
  }

  /** Decodes the frame body `buf[start, end)` (type byte first); throws RecordFormatError when it is malformed. */
  readonly decode = (buf: Buffer, start: number, end: number): JournalRecord => {
    if (buf[start] !== T_JOB) return decodeRecord(buf, start, end);
    if (this.rare) this.resetAll();
    else this.resetPlain();
    // until decoded: a record that throws half-way may have set any field
    this.rare = true;
    this.rare = decodeJobInto(this.job, this.idText, buf, start + 1, end, this.bodyRange);
    return this.record;
  };

  /** The fields a plain job's record sets (always written), and the rank it derives from the seq. */
  private resetPlain(): void {
    const job = this.job;
    job.seq = 0;
    job.queue = "";
    job.createdAt = 0;
    job.ttl = 0;
    job.retry = 0;
    job.body = EMPTY;
    job.rank = NaN;
  }

  /** Every field back to what an absent one reads as: after a job with rarer fields, or a damaged one. */
  private resetAll(): void {
    const fields = this.job as unknown as Record<string, unknown>;
    for (const row of JOB_FIELDS) if (row.key !== "id") fields[row.key] = row.fallback;
  }
}

const EMPTY = Buffer.alloc(0);
