/* global document, window, location, URLSearchParams, setTimeout, clearTimeout -- browser globals */
// The dashboard: hash routes (#/, #/queue/<name>, #/job/<id>, #/login),
// one page at a time, each polling at most one set of requests every
// POLL_MS while the tab is visible (docs/dashboard.md, "Cost per viewer").
import { api, setCsrf } from "./api.js";
import { jobPage } from "./page-job.js";
import { loginPage } from "./page-login.js";
import { queuePage } from "./page-queue.js";
import { queuesPage } from "./page-queues.js";

export const POLL_MS = 2000;

const main = document.getElementById("main");
const crumbs = document.getElementById("crumbs");
let stopPolling = () => {};
let session = { auth: "open", loggedIn: true };

/** Calls refresh now and then every POLL_MS while the page is shown and visible. */
function poll(refresh) {
  let timer;
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    if (document.visibilityState === "visible") {
      try {
        await refresh();
      } catch (error) {
        if (error.status === 401) return void route();
        document.getElementById("status").textContent = `Refresh failed: ${error.message}`;
      }
    }
    if (!stopped) timer = setTimeout(tick, POLL_MS);
  };
  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

async function route() {
  stopPolling();
  stopPolling = () => {};
  session = await api("GET", "/v1/session");
  setCsrf(session.csrf);
  const logout = document.getElementById("logout");
  logout.hidden = !(session.auth === "password" && session.loggedIn);
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?");
  const params = new URLSearchParams(query);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const ctx = { main, crumbs, poll: (refresh) => (stopPolling = poll(refresh)), params, go };
  main.replaceChildren();
  crumbs.replaceChildren();
  if (session.auth === "password" && !session.loggedIn) return loginPage(ctx);
  if (parts[0] === "queue" && parts[1] !== undefined) return queuePage(ctx, parts[1]);
  if (parts[0] === "job" && parts[1] !== undefined) return jobPage(ctx, parts[1]);
  return queuesPage(ctx);
}

function go(hash) {
  if (location.hash === hash) void route();
  else location.hash = hash;
}

document.getElementById("logout").addEventListener("click", async () => {
  await api("POST", "/logout");
  setCsrf(null);
  go("#/");
});
window.addEventListener("hashchange", () => void route());
void route();
