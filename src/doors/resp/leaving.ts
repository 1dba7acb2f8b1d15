import { ErrorReply } from "./transport/reply.js";

/**
 * Disque's refusals on a node that is leaving the cluster (CLUSTER LEAVING
 * yes): a GETJOB that would block, and every ADDJOB (measured on 1.0-rc1).
 */
export const LEAVING = new ErrorReply(
  "LEAVING This node is leaving the cluster, please connect to a different one",
);
export const NOREPL_LEAVING = new ErrorReply(
  "NOREPL Not enough reachable nodes for the requested replication level, since I'm unable to hold a copy of the message for the following reason: I'm leaving the cluster",
);
