// footfall calibration page. Every geometric step (pixels <-> metres, the pose, the grid)
// happens on the device; this script only collects taps and draws what the device returns.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const POLL_MS = 700;

const page = {
  state: null, // GET /api/state
  live: null, // GET /api/live
  tool: "marks",
  marks: [], // {name, u, v, x, y, error, projected}
  rejectedGrid: null, // grid of a fit that was not used, drawn dashed red
  draft: [], // shape in progress: [{m: [x, y], px: [u, v] | null}]
  timer: null,
  stopped: false,
};

const $ = (selector) => document.querySelector(selector);

function el(tag, attributes, parent) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  if (parent) parent.appendChild(node);
  return node;
}

function say(text, kind) {
  const box = $("#message");
  box.textContent = text;
  box.className = "message" + (kind ? " " + kind : "");
}

async function api(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (error) {
    stopped("The device no longer answers: the page has stopped (idle or Done). Run 'footfall calibrate serve' again.");
    throw error;
  }
  const data = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (response.status === 403) stopped("Not authorised: open the address printed by 'footfall calibrate serve'.");
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

async function act(work) {
  try {
    await work();
  } catch (error) {
    if (!page.stopped) say(error.message, "error");
  }
}

function stopped(text) {
  page.stopped = true;
  clearInterval(page.timer);
  $("#live").removeAttribute("src");
  say(text, "error");
}

// ---- state ------------------------------------------------------------------
function setState(state) {
  page.state = state;
  $("#device").textContent = `${state.device} · ${state.config}`;
  const pill = $("#calibration-status");
  const c = state.calibration;
  if (c) {
    const fit = c.max_cm === null ? "" : `, marks ≤ ${c.max_cm.toFixed(1)} cm`;
    pill.textContent = `calibrated: ${c.height_m.toFixed(2)} m high, tilt ${c.tilt_deg.toFixed(1)}°${fit}`;
    pill.className = "pill ok";
  } else {
    pill.textContent = "not calibrated: solve the pose from floor marks";
    pill.className = "pill bad";
  }
  $("#save").classList.toggle("attention", state.unsaved);
  $("#save").textContent = state.unsaved ? "Save changes" : "Save";
  if (state.image) {
    $("#view").style.aspectRatio = `${state.image.width} / ${state.image.height}`;
    // Image pixels as OpenCV counts them (the top-left pixel's centre is 0), as the server's are.
    $("#overlay").setAttribute("viewBox", `-0.5 -0.5 ${state.image.width} ${state.image.height}`);
  }
  if (state.error) say(state.error, "error");
  renderLists();
  renderOverlay();
  renderPlan();
}

async function loadState() {
  setState(await api("GET", "/api/state"));
}

// ---- the camera overlay ------------------------------------------------------
function runsPath(runs) {
  return runs.map((run) => "M" + run.map((p) => `${p[0]},${p[1]}`).join("L")).join("");
}

function renderOverlay() {
  const svg = $("#overlay");
  svg.replaceChildren();
  const state = page.state;
  if (!state || !state.image) return;
  if (page.rejectedGrid) el("path", { d: runsPath(page.rejectedGrid), class: "grid-run rejected" }, svg);
  else if (state.grid_px.length) el("path", { d: runsPath(state.grid_px), class: "grid-run", "data-testid": "grid" }, svg);
  page.marks.forEach((mark) => {
    const g = el("g", { class: "mark" }, svg);
    if (mark.projected && mark.error !== null && mark.error > 2) {
      el("line", { x1: mark.u, y1: mark.v, x2: mark.projected[0], y2: mark.projected[1] }, g);
    }
    el("circle", { cx: mark.u, cy: mark.v, r: 6 }, g);
    const label = mark.error === null || mark.error === undefined ? mark.name : `${mark.name} ${mark.error.toFixed(1)} cm`;
    el("text", { x: mark.u + 9, y: mark.v - 8 }, g).textContent = label;
  });
  const pixels = page.draft.filter((p) => p.px).map((p) => p.px);
  if (pixels.length) {
    const g = el("g", { class: "draft" }, svg);
    if (pixels.length > 1) el("polyline", { points: pixels.map((p) => p.join(",")).join(" ") }, g);
    pixels.forEach((p) => el("circle", { cx: p[0], cy: p[1], r: 5 }, g));
  }
}

function imagePixel(event) {
  const box = $("#overlay").getBoundingClientRect();
  const image = page.state.image;
  return [
    Math.round((((event.clientX - box.left) / box.width) * image.width - 0.5) * 10) / 10,
    Math.round((((event.clientY - box.top) / box.height) * image.height - 0.5) * 10) / 10,
  ];
}

async function onImageTap(event) {
  if (!page.state || !page.state.image || page.stopped) return;
  const [u, v] = imagePixel(event);
  if (page.tool === "marks") {
    page.marks.push({ name: nextMarkName(), u, v, x: null, y: null, error: null, projected: null });
    page.rejectedGrid = null;
    renderMarks();
    renderOverlay();
    const inputs = document.querySelectorAll("#marks-body input");
    if (inputs.length) inputs[inputs.length - 2].focus({ preventScroll: true });
    return;
  }
  if (page.tool !== "line" && page.tool !== "zone") return;
  await act(async () => {
    const result = await api("POST", "/api/floor-points", { pixels: [[u, v]] });
    const m = result.points_m[0];
    if (!m) throw new Error("That point does not see the floor: tap on the floor.");
    await addShapePoint(m, [u, v]);
  });
}

// ---- the floor plan ------------------------------------------------------------
function planBounds() {
  return page.state.plan.bounds_m;
}

function renderPlan() {
  const svg = $("#plan");
  svg.replaceChildren();
  const state = page.state;
  if (!state) return;
  const [x0, y0, x1, y1] = planBounds();
  const width = x1 - x0;
  const height = y1 - y0;
  svg.setAttribute("viewBox", `${x0} ${-y1} ${width} ${height}`);
  svg.style.aspectRatio = `${width} / ${height}`;
  const grid = el("g", {}, svg);
  for (let x = Math.ceil(x0); x <= x1; x += 1) {
    el("line", { x1: x, y1: -y0, x2: x, y2: -y1, class: x === 0 ? "plan-axis" : "plan-grid" }, grid);
    el("text", { x: x + 0.04, y: -y0 - 0.06, class: "plan-label" }, grid).textContent = `${x}`;
  }
  for (let y = Math.ceil(y0); y <= y1; y += 1) {
    el("line", { x1: x0, y1: -y, x2: x1, y2: -y, class: y === 0 ? "plan-axis" : "plan-grid" }, grid);
    el("text", { x: x0 + 0.04, y: -y - 0.04, class: "plan-label" }, grid).textContent = `${y}`;
  }
  const plan = state.plan;
  if (plan.footprint_m.length > 2) {
    el("polygon", { points: plan.footprint_m.map((p) => `${p[0]},${-p[1]}`).join(" "), class: "footprint" }, svg);
  }
  if (plan.camera_m) el("circle", { cx: plan.camera_m[0], cy: -plan.camera_m[1], r: 0.09, class: "camera-pos" }, svg);
  state.zones.forEach((zone) => {
    const points = zone.polygon.map((p) => `${p[0]},${-p[1]}`).join(" ");
    el("polygon", { points, class: "plan-zone", "data-zone": zone.name }, svg);
    const cx = zone.polygon.reduce((s, p) => s + p[0], 0) / zone.polygon.length;
    const cy = zone.polygon.reduce((s, p) => s + p[1], 0) / zone.polygon.length;
    el("text", { x: cx, y: -cy, class: "plan-name", "text-anchor": "middle" }, svg).textContent = zone.name;
  });
  state.lines.forEach((line) => {
    const [sx, sy] = line.start;
    const [ex, ey] = line.end;
    el("line", { x1: sx, y1: -sy, x2: ex, y2: -ey, class: "plan-line", "data-line": line.name }, svg);
    const length = Math.hypot(ex - sx, ey - sy);
    const sign = line.in_side === "left" ? 1 : -1;
    const nx = (-(ey - sy) / length) * sign * 0.5;
    const ny = ((ex - sx) / length) * sign * 0.5;
    const mx = (sx + ex) / 2;
    const my = (sy + ey) / 2;
    const hx = mx + nx;
    const hy = my + ny;
    const bx = -nx * 0.35;
    const by = -ny * 0.35;
    const head = `M${mx},${-my}L${hx},${-hy}M${hx + bx - ny * 0.25},${-(hy + by + nx * 0.25)}L${hx},${-hy}L${hx + bx + ny * 0.25},${-(hy + by - nx * 0.25)}`;
    el("path", { d: head, class: "plan-arrow" }, svg);
    el("text", { x: sx, y: -sy - 0.1, class: "plan-name" }, svg).textContent = line.name;
  });
  page.marks.forEach((mark) => {
    if (mark.x === null || mark.y === null) return;
    el("rect", { x: mark.x - 0.06, y: -mark.y - 0.06, width: 0.12, height: 0.12, class: "plan-mark" }, svg);
  });
  if (page.draft.length) {
    el("polyline", { points: page.draft.map((p) => `${p.m[0]},${-p.m[1]}`).join(" "), class: "plan-draft" }, svg);
    page.draft.forEach((p) => el("circle", { cx: p.m[0], cy: -p.m[1], r: 0.07, class: "camera-pos" }, svg));
  }
  const tracks = el("g", { id: "plan-tracks" }, svg);
  renderTracks(tracks);
}

function renderTracks(group) {
  const target = group || $("#plan-tracks");
  if (!target || !page.live) return;
  target.replaceChildren();
  page.live.tracks_m.forEach((tail) => {
    if (tail.length > 1) el("polyline", { points: tail.map((p) => `${p[0]},${-p[1]}`).join(" "), class: "plan-tail" }, target);
    const last = tail[tail.length - 1];
    el("circle", { cx: last[0], cy: -last[1], r: 0.12, class: "plan-head" }, target);
  });
}

function planPoint(event) {
  const svg = $("#plan");
  const point = svg.createSVGPoint();
  point.x = event.clientX;
  point.y = event.clientY;
  const local = point.matrixTransform(svg.getScreenCTM().inverse());
  return [Math.round(local.x * 1000) / 1000, Math.round(-local.y * 1000) / 1000];
}

async function onPlanTap(event) {
  if (!page.state || page.stopped) return;
  if (page.tool !== "line" && page.tool !== "zone") {
    say("Choose Lines or Zones to draw on the plan.");
    return;
  }
  await act(() => addShapePoint(planPoint(event), null));
}

// ---- lines and zones -------------------------------------------------------------
function freeName(prefix, taken) {
  for (let i = 1; ; i += 1) if (!taken.includes(`${prefix}-${i}`)) return `${prefix}-${i}`;
}

function shapeName(input, prefix, taken) {
  const name = input.value.trim() || freeName(prefix, taken);
  if (!NAME.test(name)) throw new Error(`Name "${name}": use letters, digits, '-', '_' or '.', up to 64.`);
  if (taken.includes(name)) throw new Error(`There is already a ${prefix} called "${name}".`);
  return name;
}

async function addShapePoint(m, px) {
  page.draft.push({ m, px });
  if (page.tool === "line" && page.draft.length === 2) {
    const lines = page.state.lines;
    const name = shapeName($("#line-name"), "line", lines.map((l) => l.name));
    const [a, b] = page.draft;
    page.draft = [];
    await saveLayout([...lines, { name, start: a.m, end: b.m, in_side: "left", hysteresis_m: 0.2 }], page.state.zones);
    $("#line-name").value = "";
    say(`Line "${name}" added: the arrow shows "in". Save when done.`, "good");
    return;
  }
  renderOverlay();
  renderPlan();
}

async function closeZone() {
  if (page.draft.length < 3) throw new Error("A zone needs at least 3 corners.");
  const zones = page.state.zones;
  const name = shapeName($("#zone-name"), "zone", zones.map((z) => z.name));
  const polygon = page.draft.map((p) => p.m);
  page.draft = [];
  await saveLayout(page.state.lines, [...zones, { name, polygon }]);
  $("#zone-name").value = "";
  say(`Zone "${name}" added. Save when done.`, "good");
}

async function saveLayout(lines, zones) {
  setState(await api("POST", "/api/layout", { lines, zones }));
}

function renderLists() {
  const state = page.state;
  const lines = $("#lines");
  lines.replaceChildren();
  state.lines.forEach((line, index) => {
    const item = document.createElement("li");
    item.innerHTML = `<b></b><span class="muted"></span><button>flip in</button><button>delete</button>`;
    item.querySelector("b").textContent = line.name;
    item.querySelector("span").textContent = `${line.start.join(", ")} → ${line.end.join(", ")} m`;
    const [flip, remove] = item.querySelectorAll("button");
    flip.dataset.testid = `flip-${line.name}`;
    flip.addEventListener("click", () => act(() => saveLayout(
      state.lines.map((l, i) => (i === index ? { ...l, in_side: l.in_side === "left" ? "right" : "left" } : l)),
      state.zones,
    )));
    remove.addEventListener("click", () => act(() => saveLayout(state.lines.filter((_, i) => i !== index), state.zones)));
    lines.appendChild(item);
  });
  const zones = $("#zones");
  zones.replaceChildren();
  state.zones.forEach((zone, index) => {
    const item = document.createElement("li");
    item.innerHTML = `<b></b><span class="muted"></span><button>delete</button>`;
    item.querySelector("b").textContent = zone.name;
    item.querySelector("span").textContent = `${zone.polygon.length} corners`;
    item.querySelector("button").addEventListener("click", () => act(() => saveLayout(state.lines, state.zones.filter((_, i) => i !== index))));
    zones.appendChild(item);
  });
  const select = $("#tally-line");
  const chosen = select.value;
  select.replaceChildren(...state.lines.map((line) => new Option(line.name, line.name)));
  if (state.lines.some((l) => l.name === chosen)) select.value = chosen;
}

// ---- floor marks -------------------------------------------------------------------
function nextMarkName() {
  const taken = page.marks.map((m) => m.name);
  for (let i = 0; ; i += 1) {
    const name = i < 26 ? String.fromCharCode(65 + i) : `M${i}`;
    if (!taken.includes(name)) return name;
  }
}

function renderMarks() {
  const body = $("#marks-body");
  body.replaceChildren();
  page.marks.forEach((mark, index) => {
    const row = document.createElement("tr");
    row.innerHTML = `<td></td><td><input class="num" type="number" step="0.01" inputmode="decimal"></td>` +
      `<td><input class="num" type="number" step="0.01" inputmode="decimal"></td><td></td><td><button title="remove">✕</button></td>`;
    row.cells[0].textContent = mark.name;
    const [x, y] = row.querySelectorAll("input");
    x.dataset.testid = `mark-x-${index}`;
    y.dataset.testid = `mark-y-${index}`;
    if (mark.x !== null) x.value = mark.x;
    if (mark.y !== null) y.value = mark.y;
    x.addEventListener("input", () => { mark.x = x.value === "" ? null : Number(x.value); renderPlan(); });
    y.addEventListener("input", () => { mark.y = y.value === "" ? null : Number(y.value); renderPlan(); });
    const error = row.cells[3];
    error.dataset.testid = `mark-error-${index}`;
    if (mark.error !== null && mark.error !== undefined) {
      error.textContent = `${mark.error.toFixed(1)} cm`;
      error.className = mark.error <= 10 ? "good" : "bad";
    }
    row.querySelector("button").addEventListener("click", () => {
      page.marks.splice(index, 1);
      renderMarks();
      renderOverlay();
      renderPlan();
    });
    body.appendChild(row);
  });
}

async function solve() {
  const missing = page.marks.filter((m) => m.x === null || m.y === null || Number.isNaN(m.x) || Number.isNaN(m.y));
  if (page.marks.length < 4) throw new Error(`Tap at least 4 floor marks (${page.marks.length} so far).`);
  if (missing.length) throw new Error(`Type the floor position of mark ${missing.map((m) => m.name).join(", ")}.`);
  const result = await api("POST", "/api/calibrate", { marks: page.marks.map(({ name, u, v, x, y }) => ({ name, u, v, x, y })) });
  page.marks.forEach((mark, i) => {
    mark.error = result.errors_cm[i];
    mark.projected = result.projected_px[i];
  });
  page.rejectedGrid = result.accepted ? null : result.grid_px;
  $("#fit").textContent = `RMS ${result.rms_cm.toFixed(1)} cm, worst ${result.max_cm.toFixed(1)} cm · height ${result.height_m.toFixed(2)} m · tilt ${result.tilt_deg.toFixed(1)}°`;
  renderMarks();
  if (result.accepted) await loadState();
  else renderOverlay();
  say(result.message, result.accepted ? "good" : "error");
}

// ---- tally ------------------------------------------------------------------------
function percent(value) {
  return value === null || value === undefined ? "–" : `${(value * 100).toFixed(1)} %`;
}

function renderTally() {
  const live = page.live;
  const tally = live && live.tally;
  const put = (id, text) => { document.querySelector(`[data-testid=${id}]`).textContent = text; };
  put("tally-in-count", tally ? tally.tally.in : 0);
  put("tally-out-count", tally ? tally.tally.out : 0);
  const line = $("#tally-line").value;
  const device = tally ? tally.device : (live && live.counts[line]) || { in: 0, out: 0 };
  put("device-in-count", device.in);
  put("device-out-count", device.out);
  put("accuracy-in", percent(tally && tally.accuracy.in));
  put("accuracy-out", percent(tally && tally.accuracy.out));
  put("accuracy", percent(tally && tally.accuracy.overall));
  $("#tally-time").textContent = tally ? `over ${Math.round(tally.duration_s)} s` : "";
}

async function tally(direction) {
  page.live = await api("POST", "/api/tally", { direction });
  renderTally();
}

// ---- polling ------------------------------------------------------------------------
async function poll() {
  if (page.stopped || document.hidden) return;
  try {
    page.live = await api("GET", "/api/live");
  } catch (error) {
    return;
  }
  if (page.state && !page.state.image) await act(loadState);
  renderTracks();
  renderTally();
}

function startLive() {
  if (page.stopped) return;
  $("#live").src = "/stream.mjpg";
  clearInterval(page.timer);
  page.timer = setInterval(poll, POLL_MS);
}

function pauseLive() {
  clearInterval(page.timer);
  $("#live").removeAttribute("src"); // closes the stream: a hidden tab does not keep the camera busy
}

// ---- wiring -----------------------------------------------------------------------------
function chooseTool(tool) {
  page.tool = tool;
  page.draft = [];
  document.querySelectorAll(".tabs button").forEach((b) => b.classList.toggle("active", b.dataset.tool === tool));
  document.querySelectorAll("[data-panel]").forEach((p) => { p.hidden = p.dataset.panel !== tool; });
  if (page.state) { renderOverlay(); renderPlan(); }
}

function wire() {
  document.querySelectorAll(".tabs button").forEach((b) => b.addEventListener("click", () => chooseTool(b.dataset.tool)));
  $("#overlay").addEventListener("click", onImageTap);
  $("#plan").addEventListener("click", onPlanTap);
  $("#solve").addEventListener("click", () => act(solve));
  $("#clear-marks").addEventListener("click", () => {
    page.marks = [];
    page.rejectedGrid = null;
    $("#fit").textContent = "";
    renderMarks(); renderOverlay(); renderPlan();
  });
  $("#close-zone").addEventListener("click", () => act(closeZone));
  $("#cancel-shape").addEventListener("click", () => { page.draft = []; renderOverlay(); renderPlan(); });
  $("#tally-in").addEventListener("click", () => act(() => tally("in")));
  $("#tally-out").addEventListener("click", () => act(() => tally("out")));
  $("#tally-reset").addEventListener("click", () => act(async () => {
    page.live = await api("POST", "/api/tally/reset", { line: $("#tally-line").value });
    renderTally();
  }));
  $("#save-validation").addEventListener("click", () => act(async () => {
    const result = await api("POST", "/api/validation", {});
    say(result.message, "good");
  }));
  $("#save").addEventListener("click", () => act(async () => {
    const result = await api("POST", "/api/save", {});
    await loadState();
    say(result.message, "good");
  }));
  $("#stop").addEventListener("click", () => act(async () => {
    await api("POST", "/api/stop", {});
    stopped("Stopped: the camera is closed and nothing was stored. You can close this page.");
  }));
  document.addEventListener("visibilitychange", () => (document.hidden ? pauseLive() : startLive()));
}

window.addEventListener("load", () => {
  wire();
  act(async () => {
    await loadState();
    startLive();
  });
});
