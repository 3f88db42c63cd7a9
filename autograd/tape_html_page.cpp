// The page that write_html fills in: HTML, CSS and the script that draws the graph and steps
// through it. Everything is inline (no network, no external scripts or fonts); the data object
// replaces the marker TAPE_DATA in the script. Every text that comes from the data is put in
// with textContent, never parsed as HTML.

namespace tapegrad {
namespace autograd {
namespace detail {

const char* tape_html_template() {
    return R"PAGE(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tapegrad tape</title>
<style>
:root { --fg: #1d2330; --muted: #5d6675; --line: #c9cfd8; --leaf: #dcebff; --op: #eef0f4;
        --computed: #ffffff; --current: #ffb547; --feeding: #9ec5ff; --back: #ffe2c2;
        --ready: #bfe8c0; --edge: #8a93a3; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; padding: 8px 14px;
         border-bottom: 1px solid var(--line); background: #fafbfc; }
h1 { font-size: 15px; margin: 0 12px 0 0; font-weight: 600; }
button { font: inherit; padding: 3px 10px; border: 1px solid var(--line); border-radius: 4px;
         background: #fff; cursor: pointer; }
button:disabled { color: #aab; cursor: default; }
#step-label { font-weight: 600; min-width: 9em; }
#phase { color: var(--muted); }
main { display: grid; grid-template-columns: minmax(280px, 1fr) minmax(320px, 480px);
       height: calc(100vh - 47px); }
#graph { overflow: auto; border-right: 1px solid var(--line); text-align: center; }
#graph svg { display: inline-block; }
.legend { font-size: 12px; color: var(--muted); padding: 6px 10px; text-align: left; }
.key { display: inline-block; width: 12px; height: 12px; border: 1px solid #7b8496;
       border-radius: 2px; vertical-align: -2px; margin: 0 3px 0 10px; }
.key.current { background: var(--current); }
.key.feeding { background: var(--feeding); }
.key.unborn { background: #fff; border-style: dashed; }
.key.backdone { background: var(--back); }
.key.ready { background: var(--ready); }
pre.rule { white-space: pre-wrap; }
#panel { overflow: auto; padding: 10px 16px 24px; }
h2 { font-size: 15px; margin: 4px 0 6px; }
h3 { font-size: 12px; margin: 12px 0 2px; color: var(--muted); text-transform: uppercase;
     letter-spacing: .04em; }
pre { font: 12px/1.35 ui-monospace, "DejaVu Sans Mono", monospace; background: #f4f5f8;
      padding: 5px 8px; border-radius: 4px; margin: 2px 0 6px; overflow-x: auto; }
.note { color: var(--muted); font-size: 13px; }
.name { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-weight: 600; }
.tape { display: grid; grid-template-columns: 1fr 1fr; gap: 0 14px; margin-top: 14px;
        border-top: 1px solid var(--line); padding-top: 6px; }
.tape ol { margin: 0; padding-left: 2.2em; font: 12px/1.6 ui-monospace, "DejaVu Sans Mono", monospace; }
.tape li { cursor: pointer; }
.tape li.now { background: var(--current); }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; vertical-align: top; padding: 3px 6px; border-bottom: 1px solid #e3e6eb; }
svg text { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; fill: var(--fg); pointer-events: none; }
svg text.sub { font-size: 10.5px; fill: var(--muted); }
.box { fill: var(--op); stroke: #7b8496; stroke-width: 1; }
.leaf .box { fill: var(--leaf); }
.out .box { fill: #e9f7e9; stroke-width: 2.5; }
.item { cursor: pointer; }
.unborn .box { fill: #fff; stroke-dasharray: 4 3; }
.unborn text { fill: #9aa1ad; }
.feeding .box { fill: var(--feeding); }
.backdone .box { fill: var(--back); }
.ready .box { fill: var(--ready); }
.current .box { fill: var(--current); stroke: #a85d00; stroke-width: 2.5; }
.edge { fill: none; stroke: var(--edge); stroke-width: 1.2; }
.edge.active { stroke: #2f6fd6; stroke-width: 2.6; }
.edge.back { stroke: #d26a00; stroke-width: 2.6; stroke-dasharray: 6 3; }
</style>
</head>
<body>
<header>
  <h1 id="title"></h1>
  <button id="first" title="first step (Home)">First</button>
  <button id="prev" title="previous step (left arrow)">&#9664; Back</button>
  <button id="next" title="next step (right arrow)">Next &#9654;</button>
  <button id="last" title="last step (End)">Last</button>
  <span id="step-label"></span>
  <span id="phase"></span>
</header>
<main>
  <div id="graph">
    <div class="legend"><span class="key current"></span>this step's op
      <span class="key feeding"></span>its inputs (forward)
      <span class="key unborn"></span>not run yet
      <span class="key backdone"></span>backward done
      <span class="key ready"></span>leaf gradient complete</div>
    <svg id="svg" xmlns="http://www.w3.org/2000/svg"></svg>
  </div>
  <div id="panel"></div>
</main>
<script>
"use strict";
const TAPE = /*TAPE_DATA*/;
const SVG_NS = "http://www.w3.org/2000/svg";
const nodes = TAPE.nodes, leaves = TAPE.leaves, N = nodes.length;

// ---- the steps: start, one per op forward, one per node backward, done -----------------------
const steps = [{kind: "start"}];
nodes.forEach((n, i) => steps.push({kind: "forward", node: i, k: i + 1}));
TAPE.backward.forEach((i, k) => steps.push({kind: "backward", node: i, k: k + 1}));
steps.push({kind: "done"});
const backStep = new Array(N).fill(N + 1);  // the backward step (1-based) each node runs at
TAPE.backward.forEach((i, k) => { backStep[i] = k + 1; });
// a leaf's gradient is complete after the last node that sends it one has run
const leafReady = leaves.map(() => 0);
nodes.forEach((n, i) => n.inputs.forEach(inp => {
  if ("leaf" in inp) leafReady[inp.leaf] = Math.max(leafReady[inp.leaf], backStep[i]);
}));

// ---- layout: layers top to bottom in data-flow order, ordered to shorten edges ---------------
const items = [];  // {key, kind, index, layer, lines, w, h, x, y}
const itemOf = {};
function addItem(key, kind, index, lines) {
  const chars = Math.max(...lines.map(s => s.length));
  const it = {key, kind, index, lines, w: Math.max(80, 7.3 * chars + 20), h: 16 + 15 * lines.length};
  items.push(it);
  itemOf[key] = it;
  return it;
}
leaves.forEach((l, i) => addItem("l" + i, "leaf", i, [l.name, l.type]));
nodes.forEach((n, i) => addItem("n" + i, "node", i, n.label ? [n.name + "  " + n.label, n.type]
                                                              : [n.name, n.type]));
addItem("out", "out", 0, [TAPE.output.name, nodes[TAPE.output.node].type]);
const inputKey = inp => ("node" in inp) ? "n" + inp.node : ("leaf" in inp) ? "l" + inp.leaf : null;
const edges = [];  // {from, to, node, input}
nodes.forEach((n, i) => n.inputs.forEach((inp, k) => {
  const from = inputKey(inp);
  if (from) edges.push({from, to: "n" + i, node: i, input: k});
}));
edges.push({from: "n" + TAPE.output.node, to: "out", node: -1, input: -1});
// an op sits one layer below its deepest input (creation order puts inputs first); a leaf
// one layer above its first consumer
nodes.forEach((n, i) => {
  let layer = 1;
  n.inputs.forEach(inp => { if ("node" in inp) layer = Math.max(layer, itemOf["n" + inp.node].layer + 1); });
  itemOf["n" + i].layer = layer;
});
leaves.forEach((l, i) => { itemOf["l" + i].layer = Infinity; });
edges.forEach(e => {
  if (e.from[0] === "l") itemOf[e.from].layer = Math.min(itemOf[e.from].layer, itemOf[e.to].layer - 1);
});
itemOf.out.layer = itemOf["n" + TAPE.output.node].layer + 1;
const rows = [];
items.forEach(it => { (rows[it.layer] = rows[it.layer] || []).push(it); });
const ups = {}, downs = {};
items.forEach(it => { ups[it.key] = []; downs[it.key] = []; });
edges.forEach(e => { ups[e.to].push(itemOf[e.from]); downs[e.from].push(itemOf[e.to]); });
function place() {
  rows.forEach(row => row && row.forEach((it, p) => { it.pos = p; }));
}
place();
for (let pass = 0; pass < 6; ++pass) {  // barycentre sweeps, down then up
  const order = pass % 2 === 0 ? rows.slice() : rows.slice().reverse();
  order.forEach(row => {
    if (!row) return;
    row.forEach(it => {
      const nb = pass % 2 === 0 ? ups[it.key] : downs[it.key];
      it.bary = nb.length ? nb.reduce((s, o) => s + o.pos, 0) / nb.length : it.pos;
    });
    row.sort((a, b) => a.bary - b.bary);
    row.forEach((it, p) => { it.pos = p; });
  });
}
const GAP = 26, ROW = 84, MARGIN = 20;
let width = 0;
rows.forEach(row => {
  if (!row) return;
  row.rowWidth = row.reduce((s, it) => s + it.w, 0) + GAP * (row.length - 1);
  width = Math.max(width, row.rowWidth);
});
rows.forEach((row, layer) => {
  if (!row) return;
  let x = MARGIN + (width - row.rowWidth) / 2;
  row.forEach(it => { it.x = x; it.y = MARGIN + layer * ROW; x += it.w + GAP; });
});
const height = MARGIN * 2 + (rows.length - 1) * ROW + 60;

// ---- drawing ----------------------------------------------------------------------------------
const svg = document.getElementById("svg");
svg.setAttribute("width", width + 2 * MARGIN);
svg.setAttribute("height", height);
function el(name, attrs, parent) {
  const e = document.createElementNS(SVG_NS, name);
  for (const a in attrs) e.setAttribute(a, attrs[a]);
  if (parent) parent.appendChild(e);
  return e;
}
const defs = el("defs", {}, svg);
const marker = el("marker", {id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5",
                             markerUnits: "userSpaceOnUse", markerWidth: "9", markerHeight: "9",
                             orient: "auto-start-reverse"}, defs);
el("path", {d: "M0,0 L10,5 L0,10 z", fill: "#8a93a3"}, marker);
edges.forEach(e => {
  const a = itemOf[e.from], b = itemOf[e.to];
  const x1 = a.x + a.w / 2, y1 = a.y + a.h, x2 = b.x + b.w / 2, y2 = b.y;
  const dy = Math.max(20, (y2 - y1) / 2);
  e.path = el("path", {class: "edge", d: `M${x1},${y1} C${x1},${y1 + dy} ${x2},${y2 - dy} ${x2},${y2 - 2}`,
                       "marker-end": "url(#arrow)"}, svg);
});
items.forEach(it => {
  const g = el("g", {class: "item " + it.kind, id: "item-" + it.key}, svg);
  if (it.kind === "leaf") {
    el("ellipse", {class: "box", cx: it.x + it.w / 2, cy: it.y + it.h / 2, rx: it.w / 2, ry: it.h / 2}, g);
  } else {
    el("rect", {class: "box", x: it.x, y: it.y, width: it.w, height: it.h, rx: 4}, g);
  }
  it.lines.forEach((line, j) => {
    const t = el("text", {x: it.x + it.w / 2, y: it.y + 20 + 15 * j, "text-anchor": "middle",
                          class: j ? "sub" : ""}, g);
    t.textContent = line;
  });
  const title = el("title", {}, g);
  title.textContent = it.kind === "node" && nodes[it.index].rule ? "backward: " + nodes[it.index].rule : "";
  g.addEventListener("click", () => {
    if (it.kind === "node") go(steps.findIndex(s => s.kind === (current > N ? "backward" : "forward") && s.node === it.index));
  });
  it.g = g;
});

// ---- the panel --------------------------------------------------------------------------------
const panel = document.getElementById("panel");
function add(parent, tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (cls) e.className = cls;
  parent.appendChild(e);
  return e;
}
function ruleBlock(parent, heading, rule) {
  add(parent, "h3", heading);
  if (rule) add(parent, "pre", rule, "rule");
  else add(parent, "div", "(no rule recorded)", "note");
}
function tensorBlock(parent, heading, type, text, missing, cls) {
  add(parent, "h3", heading);
  if (type) add(parent, "div", type, "note");
  if (text === null || text === undefined) add(parent, "div", missing, "note");
  else add(parent, "pre", text, cls);
}
const notKept = "value not kept: the graph keeps only what backward needs. Pass this tensor in " +
                "TapeHtmlOptions::tensors, or call retain_grad() on it and keep it alive.";
function inputName(inp) {
  if ("node" in inp) return nodes[inp.node].name + (nodes[inp.node].label ? " (" + nodes[inp.node].label + ")" : "");
  if ("leaf" in inp) return leaves[inp.leaf].name;
  return "(an input that needs no gradient)";
}
function inputValue(inp) {
  if ("node" in inp) return nodes[inp.node].value;
  if ("leaf" in inp) return leaves[inp.leaf].value;
  return null;
}
function showStart(p) {
  add(p, "h2", "Before the forward pass");
  add(p, "p", `The forward pass ran ${N} ops, each recorded on the tape as a node (boxes); ` +
              `the leaves (ellipses) are the tensors that require grad. Step forward through ` +
              `the ops in the order they ran, then backward through the order the engine ` +
              `runs them: a node runs once every gradient for its result has arrived.`, "note");
  leaves.forEach(l => tensorBlock(p, "leaf " + l.name, l.type, l.value));
}
function showForward(p, s) {
  const n = nodes[s.node];
  add(p, "h2", `Forward ${s.k} / ${N}: ${n.name}` + (n.label ? ` (${n.label})` : ""));
  add(p, "div", `${n.name} = ${n.name.split("#")[0]}(${n.inputs.map(inputName).join(", ")})`, "name");
  n.inputs.forEach((inp, k) => {
    const type = ("node" in inp) ? nodes[inp.node].type : ("leaf" in inp) ? leaves[inp.leaf].type : "";
    tensorBlock(p, `input ${k}: ${inputName(inp)}`, type, inputValue(inp),
                ("node" in inp) ? notKept : "data or a target: its value is not on the tape");
  });
  tensorBlock(p, "result", n.type, n.value, notKept);
  ruleBlock(p, "backward rule (used on the way back)", n.rule);
}
function showBackward(p, s) {
  const n = nodes[s.node];
  add(p, "h2", `Backward ${s.k} / ${TAPE.backward.length}: ${n.name}` + (n.label ? ` (${n.label})` : ""));
  tensorBlock(p, "gradient arriving at its result (grad_out, all contributions summed)", n.type,
              n.grad, "no gradient reached this node: backward skips it");
  ruleBlock(p, "backward rule", n.rule);
  add(p, "h3", "sends gradients to");
  const ul = add(p, "ul");
  n.inputs.forEach((inp, k) => add(ul, "li", `input ${k}: ${inputName(inp)}` +
      (("node" in inp) ? ` (runs at backward step ${backStep[inp.node]})` : ("leaf" in inp) ? " (a leaf: into .grad())" : " (nothing)")));
  tensorBlock(p, "its result's value", n.type, n.value, notKept);
  leaves.forEach((l, i) => {
    if (leafReady[i] === s.k) tensorBlock(p, `gradient of ${l.name} is complete`, l.type, l.grad, "none");
  });
}
function showDone(p) {
  add(p, "h2", "Done: the gradients backward() adds to .grad()");
  const table = add(p, "table");
  const head = add(table, "tr");
  ["leaf", "value", "gradient"].forEach(h => add(head, "th", h));
  leaves.forEach((l, i) => {
    const tr = add(table, "tr");
    const name = add(tr, "td");
    add(name, "div", l.name, "name");
    add(name, "div", l.type, "note");
    add(add(tr, "td"), "pre", l.value);
    const g = add(add(tr, "td"), "pre", l.grad === null ? "(no gradient)" : l.grad, "leaf-grad");
    g.dataset.leaf = l.name;
    g.id = "leaf-grad-" + i;
  });
}
function tapeList(p) {
  const tape = add(p, "div", null, "tape");
  [["forward (creation order)", "forward"], ["backward (engine order)", "backward"]].forEach(([title, kind]) => {
    const col = add(tape, "div");
    add(col, "h3", title);
    const ol = add(col, "ol");
    steps.forEach((s, j) => {
      if (s.kind !== kind) return;
      const li = add(ol, "li", nodes[s.node].name);
      if (j === current) li.className = "now";
      li.addEventListener("click", () => go(j));
    });
  });
}

// ---- stepping ---------------------------------------------------------------------------------
let current = 0;
function setClass(key, cls) { itemOf[key].g.setAttribute("class", `item ${itemOf[key].kind} ${cls}`); }
function render() {
  const s = steps[current];
  const fwd = s.kind === "forward" ? s.k : s.kind === "start" ? 0 : N;
  const back = s.kind === "backward" ? s.k : s.kind === "done" ? N + 1 : 0;
  nodes.forEach((n, i) => {
    let cls = i + 1 > fwd ? "unborn" : "";
    if (back && backStep[i] < back) cls = "backdone";
    setClass("n" + i, cls);
  });
  leaves.forEach((l, i) => setClass("l" + i, back && leafReady[i] <= back ? "ready" : ""));
  setClass("out", fwd < N ? "unborn" : "");
  edges.forEach(e => e.path.setAttribute("class", "edge"));
  if (s.kind === "forward" || s.kind === "backward") {
    setClass("n" + s.node, "current");
    nodes[s.node].inputs.forEach(inp => {
      const key = inputKey(inp);
      if (key && s.kind === "forward") setClass(key, "feeding");
    });
    edges.forEach(e => {
      if (e.node === s.node) e.path.setAttribute("class", s.kind === "forward" ? "edge active" : "edge back");
    });
  }
  document.getElementById("step-label").textContent = `step ${current} of ${steps.length - 1}`;
  document.getElementById("phase").textContent =
      {start: "start", forward: "forward pass", backward: "backward pass", done: "done"}[s.kind];
  document.getElementById("first").disabled = document.getElementById("prev").disabled = current === 0;
  document.getElementById("next").disabled = document.getElementById("last").disabled = current === steps.length - 1;
  panel.textContent = "";
  if (s.kind === "start") showStart(panel);
  else if (s.kind === "forward") showForward(panel, s);
  else if (s.kind === "backward") showBackward(panel, s);
  else showDone(panel);
  tapeList(panel);
  if (s.kind === "forward" || s.kind === "backward") {
    const it = itemOf["n" + s.node];
    const box = document.getElementById("graph");
    if (it.x < box.scrollLeft || it.x + it.w > box.scrollLeft + box.clientWidth ||
        it.y < box.scrollTop || it.y + it.h > box.scrollTop + box.clientHeight) {
      box.scrollTo({left: it.x + it.w / 2 - box.clientWidth / 2, top: it.y - box.clientHeight / 2});
    }
  }
  history.replaceState(null, "", "#step=" + current);
}
function go(j) {
  if (j < 0 || j >= steps.length) return;
  current = j;
  render();
}
document.getElementById("title").textContent = TAPE.title;
document.title = TAPE.title;
document.getElementById("first").addEventListener("click", () => go(0));
document.getElementById("prev").addEventListener("click", () => go(current - 1));
document.getElementById("next").addEventListener("click", () => go(current + 1));
document.getElementById("last").addEventListener("click", () => go(steps.length - 1));
document.addEventListener("keydown", e => {
  if (e.key === "ArrowRight") go(current + 1);
  else if (e.key === "ArrowLeft") go(current - 1);
  else if (e.key === "Home") go(0);
  else if (e.key === "End") go(steps.length - 1);
});
const fromHash = /^#step=(\d+)$/.exec(location.hash);
go(fromHash ? Math.min(Number(fromHash[1]), steps.length - 1) : 0);
</script>
</body>
</html>
)PAGE";
}

}  // namespace detail
}  // namespace autograd
}  // namespace tapegrad
