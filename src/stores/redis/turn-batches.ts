/**
 * Requests of one event-loop turn, gathered per key (a queue) and run as one
 * call each once the turn's I/O has been read (setImmediate): the adds that
 * many clients sent at once become one script run, one round trip, instead
 * of one each. ioredis's auto-pipelining alone does not gather them: it
 * flushes on process.nextTick, after each socket's data event, so commands
 * from different clients still go out one by one.
 *
 * A batch is of one variant (e.g. ACKJOB or DELJOB, a fetch's lease): an item
 * of another variant for the same key sends the pending batch at once and
 * starts a new one, so requests on one key reach Redis in their arrival order.
 *
 * `run` gets the items in arrival order and answers one result per item
 * (an Error for an item that failed alone); a rejection fails them all.
 * Nothing is answered before `run` resolves, that is before Redis has the
 * change.
 */
export class TurnBatches<Item, Result> {
  private pending = new Map<string, Batch<Item, Result>>();
  private scheduled = false;

  constructor(
    private readonly run: (key: string, variant: string, items: Item[]) => Promise<Array<Result | Error>>,
    /** a batch this long goes at once (bounds one script run's time in Redis) */
    private readonly max = 256,
  ) {}

  add(key: string, item: Item, variant = ""): Promise<Result> {
    return new Promise((resolve, reject) => {
      let batch = this.pending.get(key);
      if (batch && batch.variant !== variant) {
        this.send(key, batch);
        batch = undefined;
      }
      if (!batch) this.pending.set(key, (batch = { variant, waiting: [] }));
      batch.waiting.push({ item, resolve, reject });
      if (batch.waiting.length >= this.max) {
        this.pending.delete(key);
        this.send(key, batch);
      } else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batches = this.pending;
    this.pending = new Map();
    for (const [key, batch] of batches) this.send(key, batch);
  }

  private send(key: string, { variant, waiting: batch }: Batch<Item, Result>): void {
    this.run(
      key,
      variant,
      batch.map((w) => w.item),
    ).then(
      (results) => {
        batch.forEach((w, i) => {
          const result = results[i];
          if (result instanceof Error) w.reject(result);
          else if (result === undefined) w.reject(new Error(`no reply for item ${i} of a batch`));
          else w.resolve(result);
        });
      },
      (error: unknown) => {
        for (const w of batch) w.reject(error);
      },
    );
  }
}

interface Batch<Item, Result> {
  variant: string;
  waiting: Array<Waiting<Item, Result>>;
}

interface Waiting<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}
