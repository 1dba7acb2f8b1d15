import { api, enc } from "./api.js";
import { confirmed, h, num, time } from "./ui.js";

/** JSCAN states as tabs, and the dead letters */
const TABS = [
  ["queued", "Ready"],
  ["active", "In flight / delayed"],
  ["backoff", "Backing off"],
  ["wait-repl", "Waiting replication"],
  ["dead", "Dead letters"],
];
/** jobs visited per JSCAN step, dead letters listed per request */
const STEP = 100;

export function queuePage({ main, crumbs, poll, params, go }, queue) {
  const tab = params.get("state") ?? "queued";
  const q = params.get("q") ?? "";
  const here = (state, text) => `#/queue/${enc(queue)}?state=${state}${text ? `&q=${enc(text)}` : ""}`;
  crumbs.append(h("a", { href: "#/" }, "Queues"), " / ", queue);

  const stats = h("dl", { class: "stats", id: "queue-stats" });
  const pauseButtons = h(
    "p",
    { class: "actions" },
    [
      ["in", "Pause in"],
      ["out", "Pause out"],
      ["all", "Pause all"],
    ].map(([state, label]) =>
      h(
        "button",
        {
          "data-action": `pause-${state}`,
          onclick: () =>
            confirmed(
              `${label} on queue ${queue}?`,
              () => api("POST", `/v1/queues/${enc(queue)}/pause`, { state }),
              refresh,
            ),
        },
        label,
      ),
    ),
    h(
      "button",
      {
        "data-action": "resume",
        onclick: () =>
          confirmed(`Resume queue ${queue}?`, () => api("POST", `/v1/queues/${enc(queue)}/resume`), refresh),
      },
      "Resume",
    ),
  );
  const search = h(
    "form",
    {
      class: "search",
      onsubmit: (event) => {
        event.preventDefault();
        go(here(tab, event.target.elements.q.value.trim()));
      },
    },
    h("input", { name: "q", id: "search", value: q, placeholder: "id, body text or error", maxlength: 200 }),
    h("button", { type: "submit" }, "Search"),
  );
  const tabs = h(
    "nav",
    { class: "tabs" },
    TABS.map(([state, label]) =>
      h("a", { href: here(state, q), class: state === tab ? "current" : "" }, label),
    ),
  );
  const list = h("div", { id: "jobs" });
  main.append(h("h1", {}, `Queue ${queue}`), stats, pauseButtons, tabs, search, list);

  async function refresh() {
    let s;
    try {
      s = await api("GET", `/v1/queues/${enc(queue)}`);
    } catch (error) {
      if (error.code !== "NOQUEUE") throw error;
      stats.replaceChildren(h("dt", {}, "State"), h("dd", {}, "no such queue (yet)"));
      return;
    }
    const field = (name, value, key) => [h("dt", {}, name), h("dd", { "data-field": key }, value)];
    stats.replaceChildren(
      ...field("Paused", s.pause, "pause"),
      ...field("Ready", num(s.len), "ready"),
      ...field("In flight", num(s.inFlight), "inFlight"),
      ...field("Delayed", num(s.delayed), "delayed"),
      ...field("Backing off", num(s.backingOff), "backingOff"),
      ...field("Dead", num(s.deadLetters), "dead"),
      ...field("In / out (total)", `${num(s.jobsIn)} / ${num(s.jobsOut)}`, "totals"),
      ...field("Oldest ready", time(s.oldestReadyAt), "oldestReadyAt"),
      // scheduling (docs/scheduling.md)
      ...field("Rate limit", rateText(s), "rateLimit"),
      ...field("Held back (group limit)", num(s.heldBack), "heldBack"),
      ...field("Groups", num(s.groups), "groups"),
    );
  }
  poll(refresh);
  if (tab === "dead") void deadLetters(queue, q, list, () => go(here(tab, q)));
  else void jobs(queue, tab, q, list);
}

/** the queue's rate limit, and until when it lets nothing through */
function rateText(s) {
  if (s.rateLimit === null) return "none";
  return s.rateLimitedUntil === null
    ? s.rateLimit
    : `${s.rateLimit}, nothing until ${time(s.rateLimitedUntil)}`;
}

function jobRow(job, extra = []) {
  return h(
    "tr",
    { "data-id": job.id },
    extra,
    h("td", {}, h("a", { href: `#/job/${enc(job.id)}` }, job.id)),
    h("td", {}, job.state ?? job.reason),
    h("td", {}, time(job.createdAt ?? job.at)),
    h("td", { class: "error" }, job.lastError ?? ""),
    h("td", { class: "preview" }, job.preview),
  );
}

/** One JSCAN step per click: the server visits at most STEP jobs a request, matches or not. */
async function jobs(queue, state, q, list) {
  const body = h("tbody");
  const more = h("button", { id: "more" }, "More");
  const note = h("p", { class: "note" });
  list.replaceChildren(
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Id", "State", "Created", "Last error", "Body"].map((t) => h("th", {}, t)),
        ),
      ),
      body,
    ),
    note,
    more,
  );
  let cursor = 0;
  let shown = 0;
  const step = async () => {
    const page = await api(
      "GET",
      `/v1/queues/${enc(queue)}/jobs?state=${enc(state)}&count=${STEP}&cursor=${cursor}${q ? `&q=${enc(q)}` : ""}`,
    );
    for (const job of page.jobs) body.append(jobRow(job));
    shown += page.jobs.length;
    cursor = page.cursor;
    more.hidden = cursor === 0;
    note.textContent = cursor === 0 ? `${shown} job(s).` : `${shown} job(s) so far; more may follow.`;
  };
  more.addEventListener("click", () => void step());
  await step();
}

async function deadLetters(queue, q, list, reload) {
  const { deadLetters } = await api("GET", `/v1/queues/${enc(queue)}/deadletters?count=${STEP}`);
  const needle = q.toLowerCase();
  const lastError = (d) => d.attempts.at(-1)?.error ?? null;
  const shown = deadLetters
    .map((d) => ({ ...d, lastError: lastError(d), preview: JSON.stringify(d.body).slice(0, 120) }))
    .filter(
      (d) => !needle || [d.id, d.preview, d.lastError ?? ""].some((t) => t.toLowerCase().includes(needle)),
    );
  const base = `/v1/queues/${enc(queue)}`;
  const selected = () => [...list.querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);
  const act = (label, path, which) =>
    h(
      "button",
      {
        "data-action": label.toLowerCase().replaceAll(" ", "-"),
        onclick: () => {
          const ids = which === "selected" ? selected() : undefined;
          if (which === "selected" && ids.length === 0) return;
          const count = ids ? ids.length : "all";
          return confirmed(
            `${label}: ${count} dead letter(s) of ${queue}?`,
            () => api("POST", base + path, ids ? { ids } : { all: true }),
            reload,
          );
        },
      },
      label,
    );
  list.replaceChildren(
    h(
      "p",
      { class: "actions" },
      act("Redrive selected", "/redrive", "selected"),
      act("Redrive all", "/redrive", "all"),
      act("Purge selected", "/deadletters/purge", "selected"),
      act("Purge all", "/deadletters/purge", "all"),
    ),
    h(
      "table",
      { id: "deadletters" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["", "Id", "Reason", "Died", "Last error", "Body"].map((t) => h("th", {}, t)),
        ),
      ),
      h(
        "tbody",
        {},
        shown.map((d) =>
          jobRow(d, [
            h("td", {}, h("input", { type: "checkbox", value: d.id, "aria-label": `select ${d.id}` })),
          ]),
        ),
      ),
    ),
    h(
      "p",
      { class: "note" },
      `${shown.length} dead letter(s)${deadLetters.length === STEP ? ` (the oldest ${STEP} only)` : ""}.`,
    ),
  );
}
