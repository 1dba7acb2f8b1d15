// The two npm Disque clients ship no types: what the tests use of them.

declare module "thunk-disque" {
  type Arg = string | number;
  /** With `usePromise`, every Disque command is a method returning the reply. */
  export interface ThunkDisqueClient {
    on(event: "connect" | "close", listener: () => void): this;
    on(event: "error" | "warn", listener: (error: Error) => void): this;
    once(event: "connect" | "close", listener: () => void): this;
    /** after monitor(): each line the server feeds */
    on(event: "monitor", listener: (line: string) => void): this;
    clientEnd(): void;
    ping: Command;
    hello: Command;
    addjob: Command;
    getjob: Command;
    ackjob: Command;
    fastack: Command;
    nack: Command;
    working: Command;
    qlen: Command;
    qpeek: Command;
    qstat: Command;
    show: Command;
    qscan: Command;
    jscan: Command;
    pause: Command;
    enqueue: Command;
    dequeue: Command;
    deljob: Command;
    info: Command;
    time: Command;
    auth: Command;
    client: Command;
    cluster: Command;
    config: Command;
    command: Command;
    monitor: Command;
    slowlog: Command;
    latency: Command;
    bgrewriteaof: Command;
    loadjob: Command;
  }
  export function createClient(
    port: number,
    host: string,
    options: { usePromise: true; maxAttempts?: number },
  ): ThunkDisqueClient;
  export type Command = (...args: Arg[]) => Promise<unknown>;
}

declare module "disqueue-node" {
  type Callback = (error: Error | null, reply?: unknown) => void;
  export interface DisqueueClient {
    on(event: "connected" | "ready", listener: () => void): this;
    on(event: "error", listener: (error: Error) => void): this;
    /** the node-redis client underneath (its socket is `.stream`) */
    redisClient: { end(flush: boolean): void };
    addJob: Method;
    getJob: Method;
    ackJob: Method;
    fastAck: Method;
    nack: Method;
    working: Method;
    qlen: Method;
    show: Method;
    qscan: Method;
    hello: Method;
    info: Method;
    enqueue: Method;
    dequeue: Method;
    delJob: Method;
    auth: Method;
  }
  function createConnection(options: { host?: string; port?: number; retryMax?: number }): DisqueueClient;
  export default createConnection;
  export type Method = (options: unknown, callback: Callback) => void;
}
