// The console's panels, filled from /api/overview every five seconds. Plain DOM and SVG: no build step.
"use strict";

const COLOURS = ["#1f6feb", "#d97706", "#059669", "#b91c1c", "#7c3aed", "#0891b2"];
const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

function el(tag, attributes = {}, text = "") {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== "") node.textContent = text;
  return node;
}

function link(url, text) {
  if (!url) return document.createTextNode("—");
  const anchor = el("a", { href: url, target: "_blank", rel: "noopener" }, text);
  return anchor;
}

function short(type) {
  return type.replace(/^kh\.spean\./, "").replace(/\.v1$/, "");
}

async function api(path, options = {}) {
  const answer = await fetch(path, { credentials: "same-origin", ...options });
  if (answer.status === 401) {
    window.location.assign("/login");
    throw new Error("signed out");
  }
  const body = await answer.json();
  if (!answer.ok) throw new Error(body.detail || answer.statusText);
  return body;
}

function drawFlow(flow) {
  const chart = $("flow-chart");
  chart.replaceChildren();
  const width = 720, height = 200, left = 40, bottom = 24, top = 10;
  const topics = Object.keys(flow.topics);
  const peak = Math.max(1, ...topics.flatMap((topic) => flow.topics[topic]));
  const x = (i) => left + (i * (width - left - 10)) / Math.max(1, flow.minutes - 1);
  const y = (v) => top + (height - top - bottom) * (1 - v / peak);
  chart.append(el("svg:line", { x1: left, y1: y(0), x2: width - 10, y2: y(0), class: "axis" }));
  chart.append(el("svg:text", { x: 4, y: y(peak) + 4, class: "tick" }, String(peak)));
  chart.append(el("svg:text", { x: 4, y: y(0) + 4, class: "tick" }, "0"));
  chart.append(el("svg:text", { x: left, y: height - 4, class: "tick" }, `${flow.minutes} min ago`));
  chart.append(el("svg:text", { x: width - 40, y: height - 4, class: "tick" }, "now"));
  const legend = $("flow-legend");
  legend.replaceChildren();
  topics.forEach((topic, index) => {
    const series = flow.topics[topic];
    const points = series.map((value, i) => `${x(i)},${y(value)}`).join(" ");
    chart.append(el("svg:polyline", { points, fill: "none", stroke: COLOURS[index % COLOURS.length], "stroke-width": 2, "data-topic": topic }));
    const total = series.reduce((sum, value) => sum + value, 0);
    const item = el("li", { "data-topic": topic });
    item.append(el("span", { class: "swatch", style: `background:${COLOURS[index % COLOURS.length]}` }));
    item.append(document.createTextNode(`${topic}: ${total}`));
    legend.append(item);
  });
}

function drawBars(container, rows) {
  container.replaceChildren();
  if (rows.length === 0) {
    container.append(el("p", { class: "muted" }, "nothing to show"));
    return;
  }
  const peak = Math.max(1, ...rows.map((row) => row.value));
  for (const row of rows) {
    const line = el("div", { class: "bar-row" });
    line.append(el("span", { class: "bar-label", title: row.label }, row.label));
    const track = el("span", { class: "bar-track" });
    track.append(el("span", { class: row.value > 0 ? "bar warn" : "bar", style: `width:${(100 * row.value) / peak}%` }));
    line.append(track);
    line.append(el("span", { class: "bar-value" }, String(row.value)));
    container.append(line);
  }
}

function replayedWhen(letter) {
  return letter.replayed ? `${letter.replayed.at.slice(0, 16).replace("T", " ")} ${letter.replayed.agency || ""}` : "";
}

function showDeadLetters(shelf) {
  const total = Object.values(shelf.totals).reduce((sum, count) => sum + count, 0);
  $("dlq-total").textContent = String(total);
  $("dlq-shown").textContent = total > shelf.latest.length ? `The newest ${shelf.latest.length} of ${total}.` : "";
  const rows = $("dlq-rows");
  rows.replaceChildren();
  for (const letter of shelf.latest) {
    const row = el("tr", { "data-dlq": letter.dlq, "data-offset": letter.offset });
    const cells = [letter.dlq, letter.offset, short(letter.type), letter.subject, letter.consumer, letter.reason, replayedWhen(letter)];
    for (const text of cells) {
      row.append(el("td", {}, String(text)));
    }
    const actions = el("td");
    const open = el("button", { type: "button", class: "open" }, "Open");
    open.addEventListener("click", () => openLetter(letter));
    actions.append(open);
    row.append(actions);
    rows.append(row);
  }
}

function openLetter(letter) {
  const detail = $("dlq-detail");
  detail.hidden = false;
  detail.replaceChildren();
  detail.append(el("h3", {}, `${short(letter.type)} — ${letter.dlq} @ ${letter.offset}`));
  const facts = el("dl");
  for (const [name, value] of [
    ["Event id", letter.event_id], ["Case", letter.subject], ["Original topic", letter.topic],
    ["Consumer", letter.consumer], ["Attempts", letter.attempts], ["Reason", letter.reason],
  ]) {
    facts.append(el("dt", {}, name));
    facts.append(el("dd", {}, String(value)));
  }
  detail.append(facts);
  const replay = el("button", { type: "button", id: "replay" }, "Replay to its topic");
  const outcome = el("p", { id: "replay-outcome", role: "status" });
  replay.addEventListener("click", async () => {
    replay.disabled = true;
    try {
      const done = await api("/api/dead-letters/replay", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Spean-Console": "1" },
        body: JSON.stringify({ dlq: letter.dlq, partition: letter.partition, offset: letter.offset }),
      });
      outcome.textContent = `Replayed event ${done.event_id} to ${done.replayed_to}.`;
    } catch (error) {
      outcome.textContent = `Replay failed: ${error.message}`;
      replay.disabled = false;
    }
  });
  detail.append(replay, outcome);
}

function showBreaches(breaches) {
  $("breach-total").textContent = String(breaches.total);
  const rows = $("breach-rows");
  rows.replaceChildren();
  for (const breach of breaches.latest) {
    const row = el("tr");
    for (const text of [breach.at.slice(0, 16).replace("T", " "), breach.case_id, breach.late, (breach.due_at || "").slice(0, 10)]) {
      row.append(el("td", {}, text));
    }
    const trace = el("td");
    trace.append(link(breach.trace_url, "trace"));
    row.append(trace);
    rows.append(row);
  }
}

// Renewing takes the counterpart's part too: from this many days before the end, a certificate is flagged.
const CERTIFICATE_WARNING_DAYS = 30;

// A table fed by the collector's metrics: one row saying so while they cannot be read.
function metricRows(id, columns, items) {
  const rows = $(id);
  rows.replaceChildren();
  if (items === null) {
    const row = el("tr");
    row.append(el("td", { colspan: String(columns), class: "muted" }, "metrics unavailable"));
    rows.append(row);
  }
  return rows;
}

function showCertificates(certificates) {
  const rows = metricRows("certificate-rows", 4, certificates);
  if (certificates === null) return;
  for (const certificate of certificates) {
    const days = certificate.days_left < 0 ? `ended ${-certificate.days_left} days ago` : String(certificate.days_left);
    const row = el("tr", certificate.days_left < CERTIFICATE_WARNING_DAYS ? { class: "ending" } : {});
    for (const text of [certificate.service, certificate.holder, certificate.subject, days]) {
      row.append(el("td", {}, text));
    }
    rows.append(row);
  }
}

function showAuditTrails(trails) {
  const rows = metricRows("audit-rows", 3, trails);
  if (trails === null) return;
  for (const trail of trails) {
    const row = el("tr", trail.intact ? {} : { class: "ending" });
    for (const text of [trail.service, trail.trail, trail.intact ? "intact" : "tampered with"]) {
      row.append(el("td", {}, text));
    }
    rows.append(row);
  }
}

async function refresh() {
  try {
    const overview = await api("/api/overview");
    $("operator").textContent = `${overview.operator.agency || ""} ${overview.operator.subject.slice(0, 8)}`;
    drawFlow(overview.flow);
    drawBars($("lag-bars"), overview.consumer_lag.map((lag) => ({ label: `${lag.group} ← ${lag.topic}`, value: lag.behind })));
    const backlog = overview.outbox_backlog;
    if (backlog === null) {
      $("backlog-bars").replaceChildren(el("p", { class: "muted" }, "metrics unavailable"));
    } else {
      drawBars($("backlog-bars"), Object.entries(backlog).map(([service, value]) => ({ label: service, value })));
    }
    showBreaches(overview.deadline_breaches);
    showCertificates(overview.certificates);
    showAuditTrails(overview.audit_trails);
    showDeadLetters(overview.dead_letters);
    $("updated").textContent = `updated ${new Date(overview.generated_at).toLocaleTimeString()}`;
  } catch (error) {
    $("updated").textContent = `not updated: ${error.message}`;
  }
}

$("case-form").addEventListener("submit", async (submitted) => {
  submitted.preventDefault();
  const list = $("case-events");
  list.replaceChildren();
  try {
    const found = await api(`/api/cases/${encodeURIComponent($("case-id").value.trim())}/traces`);
    for (const event of found.events) {
      const item = el("li", {}, `${event.at.slice(0, 19).replace("T", " ")} ${event.type} `);
      item.append(link(event.trace_url, "trace"));
      list.append(item);
    }
  } catch (error) {
    list.append(el("li", { class: "muted" }, error.message));
  }
});

refresh();
setInterval(refresh, 5000);
