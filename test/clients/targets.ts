import { DISQUE_SERVER, disqueAvailable, startDisque } from "../helpers/disque.js";
import { testServer } from "../helpers/server.js";

/** A server the clients' flows run against: docket, and Disque itself to prove the expected replies. */
export interface Target {
  name: string;
  /** node:test's skip: a reason when this target cannot run here */
  skip: string | false;
  start(): Promise<{ port: number; close(): Promise<void> }>;
}

/**
 * docket always; Disque 1.0-rc1 when its binary is there. Without it a user's
 * run skips that side with a line saying why; CI (which has ../shared) fails.
 */
export function targets(): Target[] {
  const absent = !disqueAvailable();
  const missing = `Disque not found at ${DISQUE_SERVER} (set DISQUE_SERVER)`;
  return [
    { name: "docket", skip: false, start: () => testServer() },
    {
      name: "Disque 1.0-rc1",
      skip: absent && !process.env.CI ? missing : false,
      start: () => (absent ? Promise.reject(new Error(`${missing}: CI must run it`)) : startDisque()),
    },
  ];
}
