/* global document, window, Node -- browser globals */
// Small DOM helpers. Text always goes in as text (never as HTML), so a job
// body or an error message cannot inject markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function time(ms) {
  if (ms === null || ms === undefined || ms === 0) return "–";
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

export function age(ms) {
  if (ms === null || ms === undefined) return "–";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

export function num(n) {
  return n === undefined || n === null ? "–" : Number(n).toLocaleString("en");
}

/** A small SVG line chart of values (the last minutes), scaled to its own max. */
export function sparkline(values, label) {
  const ns = "http://www.w3.org/2000/svg";
  const width = 120;
  const height = 24;
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("class", "spark");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  if (values.length < 2) return svg;
  const max = Math.max(1, ...values);
  const step = width / (values.length - 1);
  const points = values.map(
    (v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`,
  );
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", points.join(" "));
  svg.append(line);
  return svg;
}

/** Runs a change after the user confirms it; shows its outcome in the status line. */
export async function confirmed(question, action, after) {
  if (!window.confirm(question)) return;
  const status = document.getElementById("status");
  try {
    const result = await action();
    status.textContent = "Done.";
    status.className = "ok";
    if (after) await after(result);
  } catch (error) {
    status.textContent = `Failed: ${error.message}`;
    status.className = "bad";
  }
}
