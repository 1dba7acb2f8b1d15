/**
 * okq QREGISTER on either store: the queues each consumer waits on with
 * QNOTIFY, and a running count of consumers per queue, so that QSTATUS
 * reads a queue's count in O(1) however many connections are registered.
 */
export class ConsumerRegistrations {
  private readonly queuesByConsumer = new Map<string, string[]>();
  private readonly consumersByQueue = new Map<string, number>();

  /** `consumer` now waits on exactly these queues (none: it is dropped). */
  set(consumer: string, queues: string[]): void {
    for (const queue of this.queuesOf(consumer)) {
      const left = this.consumersByQueue.get(queue)! - 1;
      if (left > 0) this.consumersByQueue.set(queue, left);
      else this.consumersByQueue.delete(queue);
    }
    if (queues.length === 0) {
      this.queuesByConsumer.delete(consumer);
      return;
    }
    const unique = [...new Set(queues)];
    this.queuesByConsumer.set(consumer, unique);
    for (const queue of unique) this.consumersByQueue.set(queue, (this.consumersByQueue.get(queue) ?? 0) + 1);
  }

  /** the queues `consumer` waits on; none when it never registered or cleared its registration */
  queuesOf(consumer: string): readonly string[] {
    return this.queuesByConsumer.get(consumer) ?? [];
  }

  /** how many consumers are registered on `queue` */
  consumersOf(queue: string): number {
    return this.consumersByQueue.get(queue) ?? 0;
  }
}
