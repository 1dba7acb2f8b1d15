import { SimpleString } from "./reply.js";

/**
 * MONITOR's feed: every command that passes the arity and AUTH checks is
 * shown to each monitoring client, before it runs, as Disque does:
 * `+1796497944.360982 [127.0.0.1:42116] "ADDJOB" "q" "body" "0"`.
 * The lines go through the monitor's own output buffer, so they count
 * toward its output limit and the server's memory bound like any reply.
 */

/** What the feed needs of a monitoring connection. */
export interface MonitorSink {
  /** writes a line that answers no request of its own */
  push(line: SimpleString): void;
}

/** Disque's `sdscatrepr`: printable ASCII as is, `\\ \" \n \r \t \a \b` escaped, other bytes as `\xhh`. */
export function quoteArg(arg: Buffer): string {
  let out = '"';
  for (const byte of arg) {
    switch (byte) {
      case 0x5c:
        out += "\\\\";
        break;
      case 0x22:
        out += '\\"';
        break;
      case 0x0a:
        out += "\\n";
        break;
      case 0x0d:
        out += "\\r";
        break;
      case 0x09:
        out += "\\t";
        break;
      case 0x07:
        out += "\\a";
        break;
      case 0x08:
        out += "\\b";
        break;
      default:
        out +=
          byte >= 0x20 && byte <= 0x7e
            ? String.fromCharCode(byte)
            : `\\x${byte.toString(16).padStart(2, "0")}`;
    }
  }
  return out + '"';
}

/** seconds.microseconds since the epoch, as Disque prints them */
function timestamp(): string {
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, "0")}`;
}

export class Monitors {
  private readonly sinks = new Set<MonitorSink>();

  get size(): number {
    return this.sinks.size;
  }

  add(sink: MonitorSink): void {
    this.sinks.add(sink);
  }

  delete(sink: MonitorSink): void {
    this.sinks.delete(sink);
  }

  /** `args` as they may be shown (secrets already redacted) */
  feed(addr: string, args: Buffer[]): void {
    const line = new SimpleString(`${timestamp()} [${addr}] ${args.map(quoteArg).join(" ")}`);
    for (const sink of this.sinks) sink.push(line);
  }
}
