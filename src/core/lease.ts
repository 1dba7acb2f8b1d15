import { BrokerError } from "./contract.js";

/**
 * A fetch's lease override (okq EX) is a whole number of seconds, at least one.
 * Checked before anything is taken, so a bad lease takes no job on any store.
 */
export function checkLeaseSeconds(leaseSeconds: number | undefined): void {
  if (leaseSeconds !== undefined && (!Number.isSafeInteger(leaseSeconds) || leaseSeconds < 1)) {
    throw new BrokerError("ERR", "lease must be a positive number of seconds");
  }
}
