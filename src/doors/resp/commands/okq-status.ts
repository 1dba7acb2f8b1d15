import type { Arguments } from "../transport/arguments.js";
import type { QueueCounts } from "../../../core/contract.js";
import { MAX_SCAN_COUNT } from "../../../core/listing-limits.js";
import { andThen } from "../../../util/awaitable.js";
import { errorOf, queueArg } from "../args.js";
import type { RespContext } from "../context.js";
import type { Reply } from "../transport/reply.js";

/**
 * okq's QSTATUS and QINFO: the same per-queue counts, as data
 * (`[name, total, processing, consumers]`, what okq-go's Status() parses)
 * or as one human-readable line per queue. Either lists the named queues,
 * or every known one when none is named; both bounded to one QSCAN page.
 */

type Render = (q: QueueCounts) => Reply;

function counts(ctx: RespContext, args: Arguments, render: Render): Reply | Promise<Reply> {
  const show = (names: string[]) => andThen(ctx.broker.queueCounts(names), (rows) => rows.map(render));
  if (args.length > 1) {
    // As many names as one QSCAN page visits: a longer list is refused before any is looked at.
    if (args.length - 1 > MAX_SCAN_COUNT) throw errorOf(`at most ${MAX_SCAN_COUNT} queues per call`);
    return show(Array.from({ length: args.length - 1 }, (_, k) => queueArg(args, k + 1)));
  }
  // Every queue would be O(queues) in one go: one QSCAN page of them, by name.
  const page = ctx.broker.qscan(0, { count: MAX_SCAN_COUNT, busyloop: false });
  return andThen(page, ({ items }) => show(items.sort()));
}

export function qstatus(ctx: RespContext, args: Arguments): Reply | Promise<Reply> {
  return counts(ctx, args, (q) => [q.name, q.total, q.processing, q.consumers]);
}

export function qinfo(ctx: RespContext, args: Arguments): Reply | Promise<Reply> {
  return counts(
    ctx,
    args,
    (q) => `${q.name} total: ${q.total} processing: ${q.processing} consumers: ${q.consumers}`,
  );
}
