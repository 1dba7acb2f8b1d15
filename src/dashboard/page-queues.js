import { api } from "./api.js";
import { age, h, num, sparkline } from "./ui.js";

/** queues per page: each costs the server one QSTAT per refresh */
const PAGE_SIZE = 100;

/** per second between the last two samples, or null with fewer */
function rate(samples, field) {
  if (samples.length < 2) return null;
  const a = samples[samples.length - 2];
  const b = samples[samples.length - 1];
  const dt = (b.at - a.at) / 1000;
  return dt > 0 ? Math.max(0, (b[field] - a[field]) / dt) : null;
}

export function queuesPage({ main, crumbs, poll, params, go }) {
  crumbs.append("Queues");
  const cursor = Number(params.get("cursor") ?? 0);
  const body = h("tbody");
  const pager = h("p", { class: "pager" });
  main.append(
    h("h1", {}, "Queues"),
    h(
      "table",
      { id: "queues" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          [
            "Queue",
            "Paused",
            "Ready",
            "In flight",
            "Delayed",
            "Backing off",
            "Dead",
            "In /s",
            "Out /s",
            "Oldest ready",
            "Ready, last 5 min",
          ].map((t) => h("th", {}, t)),
        ),
      ),
      body,
    ),
    pager,
  );
  poll(async () => {
    const [page, samples] = await Promise.all([
      api("GET", `/v1/queues?count=${PAGE_SIZE}&cursor=${cursor}`),
      api("GET", "/v1/dashboard/samples"),
    ]);
    const now = Date.now();
    body.replaceChildren(
      ...page.queues.map((q) => {
        const s = samples.queues[q.name] ?? [];
        const rIn = rate(s, "jobsIn");
        const rOut = rate(s, "jobsOut");
        return h(
          "tr",
          { "data-queue": q.name },
          h("td", {}, h("a", { href: `#/queue/${encodeURIComponent(q.name)}` }, q.name)),
          h(
            "td",
            { class: q.pause === "none" ? "" : "warn", "data-field": "pause" },
            q.pause === "none" ? "" : q.pause,
          ),
          h("td", { "data-field": "ready" }, num(q.len)),
          h("td", { "data-field": "inFlight" }, num(q.inFlight)),
          h("td", { "data-field": "delayed" }, num(q.delayed)),
          h("td", { "data-field": "backingOff" }, num(q.backingOff)),
          h("td", { "data-field": "dead", class: q.deadLetters > 0 ? "bad" : "" }, num(q.deadLetters)),
          h("td", {}, rIn === null ? "–" : rIn.toFixed(1)),
          h("td", {}, rOut === null ? "–" : rOut.toFixed(1)),
          h("td", {}, q.oldestReadyAt ? age(now - q.oldestReadyAt) : "–"),
          h(
            "td",
            {},
            sparkline(
              s.map((x) => x.ready),
              `ready jobs of ${q.name}, last minutes`,
            ),
          ),
        );
      }),
    );
    if (page.queues.length === 0) body.append(h("tr", {}, h("td", { colspan: 11 }, "No queues yet.")));
    pager.replaceChildren(
      cursor !== 0 ? h("a", { href: "#/", onclick: () => go("#/") }, "First page") : "",
      page.cursor !== 0 ? h("a", { href: `#/?cursor=${page.cursor}` }, "Next page") : "",
    );
  });
}
