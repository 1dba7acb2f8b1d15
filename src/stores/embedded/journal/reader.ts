import type { JournalFs } from "./fs.js";
import {
  FRAME_HEADER,
  MAX_BODY,
  RecordFormatError,
  checkFrame,
  decodeRecord,
  type JournalRecord,
} from "./record.js";

/**
 * Reads a journal or snapshot file record by record, verifying every
 * checksum. A damaged record is a *tail* when no valid record follows it
 * (a write cut short by a crash): the file is valid up to it. When a valid
 * record does follow, the damage is in the *middle*: that is an error,
 * unless `repair` is set, in which case the damaged bytes are skipped.
 */

const WINDOW_BYTES = 8 * 1024 * 1024;

export interface DamagedRange {
  offset: number;
  bytes: number;
}

export interface ScanResult {
  path: string;
  size: number;
  records: number;
  /** where the valid records end; past it is the cut tail, if any */
  end: number;
  tail: DamagedRange | undefined;
  /** damaged ranges skipped because of `repair` */
  skipped: DamagedRange[];
}

export interface ScanOptions {
  repair: boolean;
  /** a damaged tail is expected (the journal being written at a crash); else it is an error */
  tailAllowed: boolean;
  /**
   * decodes a checked frame's body (type byte first), throwing
   * RecordFormatError when it is malformed: decodeRecord unless set
   * (recovery's reuses its job record: reused-job-record.ts)
   */
  decode?: RecordDecoder;
}

export type RecordDecoder = (buf: Buffer, start: number, end: number) => JournalRecord;

export class CorruptFileError extends Error {
  constructor(
    readonly path: string,
    readonly offset: number,
    detail: string,
  ) {
    super(`${path}: corrupt record at offset ${offset}: ${detail}`);
    this.name = "CorruptFileError";
  }
}

/** A sliding view of the file: only what is being decoded is in memory. */
class Window {
  buf = Buffer.allocUnsafe(0);
  /** file offset of buf[0] */
  start = 0;
  /** bytes of buf that hold file data */
  length = 0;
  /** the size of the frame frameInWindow decoded last */
  frameSize = 0;

  constructor(
    private readonly fs: JournalFs,
    private readonly fd: number,
    readonly size: number,
    readonly decode: RecordDecoder,
  ) {}

  has(offset: number, bytes: number): boolean {
    return offset >= this.start && offset + bytes <= this.start + this.length;
  }

  /** Loads the file from `offset`: at least `bytes` of it when the file has them. */
  async load(offset: number, bytes: number): Promise<void> {
    const want = Math.min(Math.max(WINDOW_BYTES, bytes), this.size - offset);
    if (this.buf.length < want) this.buf = Buffer.allocUnsafe(Math.max(want, WINDOW_BYTES));
    let got = 0;
    while (got < want) {
      const n = await this.fs.read(this.fd, this.buf, got, want - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    this.start = offset;
    this.length = got;
  }
}

/**
 * Checks and decodes the frame at `offset` from the window alone: its
 * record (its size in `win.frameSize`), undefined when it is damaged, or
 * null when the window does not hold all of it yet. No object per frame:
 * recovery reads a million of them.
 */
function frameInWindow(win: Window, offset: number): JournalRecord | undefined | null {
  if (offset + FRAME_HEADER > win.size) return undefined;
  if (!win.has(offset, FRAME_HEADER)) return null;
  const at = offset - win.start;
  const length = win.buf.readUInt32LE(at);
  if (length < 1 || length > MAX_BODY || offset + FRAME_HEADER + length > win.size) return undefined;
  if (!win.has(offset, FRAME_HEADER + length)) return null;
  if (checkFrame(win.buf, at, win.length, offset) < 0) return undefined;
  try {
    const record = win.decode(win.buf, at + FRAME_HEADER, at + FRAME_HEADER + length);
    win.frameSize = FRAME_HEADER + length;
    return record;
  } catch (error) {
    if (error instanceof RecordFormatError) return undefined;
    throw error;
  }
}

/** The record of the frame at `offset`, loading file data as needed; undefined when it is damaged. */
async function frameAt(win: Window, offset: number): Promise<JournalRecord | undefined> {
  let record = frameInWindow(win, offset);
  if (record === null) {
    await win.load(offset, FRAME_HEADER);
    const length = win.buf.readUInt32LE(0);
    if (length <= MAX_BODY && !win.has(offset, FRAME_HEADER + length)) {
      await win.load(offset, FRAME_HEADER + length);
    }
    record = frameInWindow(win, offset);
  }
  return record ?? undefined;
}

/** The next offset after `from` where a valid frame starts, or -1. */
async function resync(win: Window, from: number): Promise<number> {
  for (let offset = from; offset + FRAME_HEADER < win.size; offset++) {
    if (!win.has(offset, FRAME_HEADER)) await win.load(offset, FRAME_HEADER);
    const length = win.buf.readUInt32LE(offset - win.start);
    // Most offsets fail here, before any checksum is computed.
    if (length < 1 || length > MAX_BODY || offset + FRAME_HEADER + length > win.size) continue;
    if ((await frameAt(win, offset)) !== undefined) return offset;
  }
  return -1;
}

export async function scanFile(
  fs: JournalFs,
  path: string,
  options: ScanOptions,
  onRecord: (record: JournalRecord, offset: number, size: number) => void,
): Promise<ScanResult> {
  const fd = await fs.open(path, "read");
  try {
    const win = new Window(fs, fd, await fs.size(fd), options.decode ?? decodeRecord);
    const result: ScanResult = {
      path,
      size: win.size,
      records: 0,
      end: win.size,
      tail: undefined,
      skipped: [],
    };
    let offset = 0;
    while (offset < win.size) {
      // Synchronous while the window holds the next frame: no Promise per record.
      let record = frameInWindow(win, offset);
      if (record === null) record = await frameAt(win, offset);
      if (record !== undefined) {
        const size = win.frameSize;
        onRecord(record, offset, size);
        result.records++;
        offset += size;
        continue;
      }
      const next = await resync(win, offset + 1);
      if (next < 0) {
        if (!options.tailAllowed && !options.repair) {
          throw new CorruptFileError(
            path,
            offset,
            `the file ends with a damaged record (${win.size - offset} bytes); ` +
              `start with --repair to cut them`,
          );
        }
        result.tail = { offset, bytes: win.size - offset };
        result.end = offset;
        break;
      }
      if (!options.repair) {
        throw new CorruptFileError(
          path,
          offset,
          `${next - offset} damaged bytes followed by valid records at offset ${next}; ` +
            `start with --repair to skip them`,
        );
      }
      result.skipped.push({ offset, bytes: next - offset });
      offset = next;
    }
    return result;
  } finally {
    await fs.close(fd);
  }
}
