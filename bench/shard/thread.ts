import { Worker } from "node:worker_threads";

/**
 * A worker thread running a TypeScript module of bench/. Node 20 does not
 * hand `--import tsx`'s loader to a worker's entry module, so the worker
 * starts from a one-line ES module that registers tsx first (its path
 * resolved here, as a data: module cannot resolve a package name).
 */
export function startThread(module: URL, workerData: unknown): Worker {
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(module.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData });
}
