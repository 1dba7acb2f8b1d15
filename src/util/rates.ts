/**
 * Per-second rates of growing totals (INFO's instantaneous_ops_per_sec and
 * instantaneous_*_kbps): the totals are read once a second, and a rate is
 * the growth over the last full second. Disque samples ten times a second
 * and averages; once a second keeps an idle server nearly idle.
 */
export class RateSampler<K extends string> {
  private last: Record<K, number>;
  private rates: Record<K, number>;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly totals: () => Record<K, number>,
    periodMs = 1000,
  ) {
    this.last = totals();
    this.rates = Object.fromEntries(Object.keys(this.last).map((key) => [key, 0])) as Record<K, number>;
    this.timer = setInterval(() => this.sample(periodMs), periodMs);
    this.timer.unref();
  }

  /** growth per second of each total over the last period */
  perSecond(): Readonly<Record<K, number>> {
    return this.rates;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(periodMs: number): void {
    const now = this.totals();
    for (const key of Object.keys(now) as K[]) {
      this.rates[key] = ((now[key] - this.last[key]) * 1000) / periodMs;
    }
    this.last = now;
  }
}
