/**
 * Queue names as small numbers, for the job table's queue column: one
 * string per queue instead of a pointer per job. Each name counts the
 * slots that hold it and is dropped with the last, so names of queues that
 * came and went do not pile up.
 */
export class InternedNames {
  private readonly names: (string | undefined)[] = [];
  private readonly holders: number[] = [];
  private readonly numbers = new Map<string, number>();
  private readonly unused: number[] = [];

  /** The name's number, held once more. */
  hold(name: string): number {
    let number = this.numbers.get(name);
    if (number === undefined) {
      number = this.unused.pop() ?? this.names.length;
      this.names[number] = name;
      this.holders[number] = 0;
      this.numbers.set(name, number);
    }
    this.holders[number]!++;
    return number;
  }

  /** One holder of the name lets go; the last one drops it. */
  let(number: number): void {
    if (--this.holders[number]! > 0) return;
    this.numbers.delete(this.names[number]!);
    this.names[number] = undefined;
    this.unused.push(number);
  }

  name(number: number): string {
    return this.names[number]!;
  }
}
