import type { Arguments } from "../transport/arguments.js";
import { NODE_PRIORITY_LEAVING, type Awaitable, type NodeInfo } from "../../../core/contract.js";
import { defaultConfig } from "../../../config.js";
import { andThen } from "../../../util/awaitable.js";
import { word, wordOf } from "../args.js";
import type { RespContext } from "../context.js";
import { ErrorReply, OK, SimpleString, type Reply } from "../transport/reply.js";

/** HELLO and CLUSTER: the deployment's nodes as Disque shows them, and CLUSTER LEAVING. */

const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", ""]);

/**
 * The host HELLO and CLUSTER NODES give for this node. Disque gives "" for
 * itself (it learns its own address only from peers), and so does docket
 * when it binds its default or a wildcard address; bound to another
 * address, docket gives it (docket's choice: an address a client can use).
 */
function ownHost(bind: string): string {
  return bind === defaultConfig().bind || WILDCARD_HOSTS.has(bind) ? "" : bind;
}

/** The deployment's nodes, this one with its own host (ownHost). */
function nodesAsSeen(ctx: RespContext): Awaitable<NodeInfo[]> {
  const me = ctx.broker.nodeId;
  const host = ownHost(ctx.server.config.bind);
  return andThen(ctx.broker.nodes(), (nodes) =>
    nodes.map((node) => (node.id === me ? { ...node, host } : node)),
  );
}

export function hello(ctx: RespContext): Reply | Promise<Reply> {
  return andThen(nodesAsSeen(ctx), (nodes) => [
    1,
    ctx.broker.nodeId,
    ...nodes.map((node) => [node.id, node.host, String(node.port), String(node.priority)]),
  ]);
}

const CLUSTER_USAGE = new ErrorReply("ERR Wrong CLUSTER subcommand or number of arguments");

/** Disque's CLUSTER INFO: the other live servers of a Redis deployment are the reachable nodes. */
function clusterInfo(nodes: NodeInfo[]): Buffer {
  return Buffer.from(
    `cluster_state:ok\r\ncluster_known_nodes:${nodes.length}\r\n` +
      `cluster_reachable_nodes:${nodes.length - 1}\r\ncluster_size:${nodes.length}\r\n` +
      "cluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\n",
  );
}

/** Disque's CLUSTER NODES: `id host:port flags ping-sent pong-received link-state`. */
function clusterNodes(nodes: NodeInfo[], me: string): Buffer {
  const lines = nodes.map((node) => {
    const flags = [node.id === me ? "myself" : "", node.priority === NODE_PRIORITY_LEAVING ? "leaving" : ""];
    const shown = flags.filter((flag) => flag !== "").join(",") || "noflags";
    return `${node.id} ${node.host}:${node.port} ${shown} 0 0 connected\n`;
  });
  return Buffer.from(lines.join(""));
}

/** CLUSTER LEAVING [yes|no]: get or set (see ServerHandle.setLeaving). */
function clusterLeaving(ctx: RespContext, value: Buffer | undefined): Reply {
  if (value === undefined) return new SimpleString(ctx.server.leaving ? "yes" : "no");
  const yesNo = wordOf(value);
  if (yesNo !== "yes" && yesNo !== "no") {
    return new ErrorReply("ERR Wrong argument for CLUSTER LEAVING. Use 'yes' or 'no'");
  }
  ctx.server.setLeaving(yesNo === "yes");
  return OK;
}

export function cluster(ctx: RespContext, args: Arguments): Reply | Promise<Reply> {
  const sub = word(args, 1);
  if (sub === "leaving" && args.length <= 3) return clusterLeaving(ctx, args.at(2));
  if (args.length !== 2) return CLUSTER_USAGE;
  if (sub === "myid") return ctx.broker.nodeId;
  if (sub === "info") return andThen(ctx.broker.nodes(), clusterInfo);
  if (sub === "nodes") return andThen(nodesAsSeen(ctx), (nodes) => clusterNodes(nodes, ctx.broker.nodeId));
  return CLUSTER_USAGE;
}
