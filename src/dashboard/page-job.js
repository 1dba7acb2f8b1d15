/* global location -- browser globals */
import { api, enc } from "./api.js";
import { confirmed, h, time } from "./ui.js";

/** The door a job came through (the job JSON's origin), as the page names it. */
const ORIGIN_NAMES = { resp: "RESP", http: "HTTP", taskq: "TaskQ", schedule: "a schedule" };

function bodyText(job) {
  if (job.encoding === "json") return JSON.stringify(job.body, null, 2);
  if (job.encoding === "base64") return `(binary, base64)\n${job.body}`;
  return job.body;
}

async function orNull(promise) {
  try {
    return await promise;
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

/** A job (or a dead letter): its body, attempts, result, timers, EXPLAIN, and actions. */
export async function jobPage({ main, crumbs, poll, go }, id) {
  const [job, dead, result] = await Promise.all([
    orNull(api("GET", `/v1/jobs/${enc(id)}`)),
    orNull(api("GET", `/v1/deadletters/${enc(id)}`)),
    orNull(api("GET", `/v1/jobs/${enc(id)}/result`)),
  ]);
  const shown = job ?? dead;
  const queue = shown?.queue ?? result?.queue;
  crumbs.append(h("a", { href: "#/" }, "Queues"), " / ");
  if (queue) crumbs.append(h("a", { href: `#/queue/${enc(queue)}` }, queue), " / ");
  crumbs.append(id);
  main.append(h("h1", {}, "Job ", h("code", {}, id)));

  const why = h("p", { id: "explain", class: "explain" }, "…");
  main.append(h("section", {}, h("h2", {}, "Why is this job not running?"), why));
  poll(async () => {
    try {
      why.textContent = (await api("GET", `/v1/jobs/${enc(id)}/explain`)).text;
    } catch (error) {
      why.textContent = `(no answer: ${error.message})`;
    }
  });

  if (!shown) {
    main.append(
      h("p", {}, result ? "Acked; its result is kept." : "No such job (acked, deleted or expired)."),
    );
  }
  const base = queue ? `/v1/queues/${enc(queue)}` : "";
  const actions = h("p", { class: "actions" });
  if (job) {
    actions.append(
      h(
        "button",
        {
          "data-action": "retry",
          onclick: () =>
            confirmed(
              `Retry job ${id} now?`,
              () => api("POST", `/v1/jobs/${enc(id)}/retry`),
              () => go(location.hash),
            ),
        },
        "Retry now",
      ),
      h(
        "button",
        {
          "data-action": "delete",
          class: "danger",
          onclick: () =>
            confirmed(
              `Delete job ${id}? This cannot be undone.`,
              () => api("DELETE", `/v1/jobs/${enc(id)}`),
              () => go(`#/queue/${enc(queue)}`),
            ),
        },
        "Delete",
      ),
    );
  } else if (dead) {
    actions.append(
      h(
        "button",
        {
          "data-action": "redrive",
          onclick: () =>
            confirmed(
              `Redrive dead letter ${id} into ${queue}?`,
              () => api("POST", `${base}/redrive`, { ids: [id] }),
              () => go(`#/queue/${enc(queue)}?state=dead`),
            ),
        },
        "Redrive",
      ),
      h(
        "button",
        {
          "data-action": "purge",
          class: "danger",
          onclick: () =>
            confirmed(
              `Purge dead letter ${id}?`,
              () => api("POST", `${base}/deadletters/purge`, { ids: [id] }),
              () => go(`#/queue/${enc(queue)}?state=dead`),
            ),
        },
        "Purge",
      ),
    );
  }
  main.append(actions);

  if (shown) {
    const facts = job
      ? [
          ["State", job.state],
          ["Queue", job.queue],
          ["Added through", ORIGIN_NAMES[job.origin] ?? "unknown"],
          // scheduling (docs/scheduling.md): 0 is served first
          ["Priority", job.priority],
          ["Group", job.group ?? "–"],
          ["Idempotency key", job.key === null ? "–" : `${job.key} (until ${time(job.keyExpiresAt)})`],
          ["Created", time(job.createdAt)],
          ["Expires", time(job.expiresAt)],
          ["Next re-queue", time(job.requeueAt)],
          ["Backing off until", time(job.backoffUntil)],
          ["Next timer", time(job.awakeAt)],
          ["Delay / retry / TTL (s)", `${job.delay} / ${job.retry} / ${job.ttl}`],
          [
            "Retries (left of budget)",
            `${job.retriesLeft < 0 ? "∞" : job.retriesLeft} of ${job.retries < 0 ? "∞" : job.retries}`,
          ],
          ["Backoff", job.backoff ?? "–"],
          ["Run time-out (ms)", job.runTimeout ?? "–"],
          ["Nacks / additional deliveries", `${job.nacks} / ${job.additionalDeliveries}`],
        ]
      : [
          ["State", "dead"],
          ["Queue", dead.queue],
          ["Dead since", time(dead.at)],
          ["Reason", dead.reason],
          ["Retry budget", dead.retries < 0 ? "∞" : dead.retries],
        ];
    main.append(
      h(
        "dl",
        { class: "stats", id: "job-facts" },
        facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]),
      ),
      h("h2", {}, "Body"),
      h("pre", { id: "job-body" }, bodyText(shown)),
      h("h2", {}, "Attempts"),
      shown.attempts.length === 0
        ? h("p", {}, "None failed yet.")
        : h(
            "table",
            { id: "attempts" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ["#", "At", "Cause", "Error"].map((t) => h("th", {}, t)),
              ),
            ),
            h(
              "tbody",
              {},
              shown.attempts.map((a, i) =>
                h(
                  "tr",
                  {},
                  h("td", {}, i + 1),
                  h("td", {}, time(a.at)),
                  h("td", {}, a.cause),
                  h("td", { class: "error" }, a.error ?? ""),
                ),
              ),
            ),
          ),
    );
  }
  if (result) {
    main.append(
      h("h2", {}, "Result"),
      h(
        "pre",
        { id: "job-result" },
        result.encoding === "json" ? JSON.stringify(result.result, null, 2) : result.result,
      ),
      h("p", { class: "note" }, `Acked ${time(result.completedAt)}; kept until ${time(result.expiresAt)}.`),
    );
  }
}
