/**
 * The demo page's code, bundled with the package by esbuild (build.ts): loads the pretrained model with
 * `load(fetch(...))`, classifies what the user types, shows the file's size against its dense twin, and
 * re-truncates every MPO of the model to a chosen bond (the package's SVD kernel), scoring the result on
 * a bundled validation slice and charting accuracy, size and entanglement entropy as SVG.
 * `window.demo` exposes predict/explore for the browser test.
 */
import { init, load, loadSync, save, nn, type MPO } from "../../src/index.js";

type TextClassifier = InstanceType<typeof nn.TextClassifier>;
interface Review { text: string; label: number }
interface Summary { test: { reviews: number; denseAccuracy: number; mpoAccuracy: number }; bytes: { dense: number; mpo: number }; parameters: { dense: number; mpo: number } }
interface Point { bond: number; accuracy: number; kb: number }

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const EXAMPLES = [
  "A quietly devastating film. The acting is superb and the ending stayed with me for days.",
  "Two hours of my life I will never get back. Wooden dialogue, no plot, and the worst ending imaginable.",
  "It starts slowly and the middle drags, but the last act is wonderful and the cast is great.",
];

/** Every MPO of the model with a name, and how to put a changed one back. */
function mpoSlots(m: TextClassifier): { name: string; get: () => MPO; set: (x: MPO) => void }[] {
  const slots: { name: string; get: () => MPO; set: (x: MPO) => void }[] = [];
  const holders: [string, { getMPOs(): MPO[]; setMPOs(m: MPO[]): void }][] = [];
  if (m.embedding instanceof nn.MPOEmbedding) holders.push(["embedding", m.embedding]);
  if (m.lstm instanceof nn.MPOLSTM) m.lstm.mpoLayers.forEach((l, i) => holders.push([`lstm ${i}`, l]));
  if (m.head instanceof nn.MPOLinear) holders.push(["head", m.head]);
  for (const [name, h] of holders) {
    const count = h.getMPOs().length;
    for (let k = 0; k < count; k++) {
      const label = count === 1 ? name : `${name} ${k === 0 ? "W" : "U"}`;
      slots.push({ name: label, get: () => h.getMPOs()[k]!, set: (x) => { const all = h.getMPOs(); all[k] = x; h.setMPOs(all); } });
    }
  }
  return slots;
}

/** Accuracy (%) of `m` on the slice and the mean time per review (ms). */
function score(m: TextClassifier, slice: readonly Review[]): { accuracy: number; ms: number } {
  const t0 = performance.now();
  let right = 0;
  for (const r of slice) if (m.predict(r.text).index === r.label) right++;
  return { accuracy: (100 * right) / slice.length, ms: (performance.now() - t0) / slice.length };
}

const SVG = "http://www.w3.org/2000/svg";
function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A line chart of points (x: bond, log2 axis), with a dashed reference line. */
function lineChart(svg: SVGSVGElement, points: readonly Point[], y: (p: Point) => number, ref: { value: number; label: string } | null, color: string): void {
  svg.replaceChildren();
  const W = 320, H = 190, L = 40, R = 12, T = 12, B = 30;
  const xs = points.map((p) => p.bond), ys = points.map(y).concat(ref ? [ref.value] : []);
  const xMax = Math.max(2, ...xs), yMin = Math.min(...ys), yMax = Math.max(...ys);
  const pad = (yMax - yMin) * 0.15 || 1;
  const lo = Math.max(0, yMin - pad), hi = yMax + pad;
  const sx = (x: number) => L + ((Math.log2(x)) / Math.log2(xMax)) * (W - L - R);
  const sy = (v: number) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  svg.append(el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#c9d0db" }), el("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "#c9d0db" }));
  for (let b = 1; b <= xMax; b *= 2) if (b === xMax || xMax / b >= 1.4) svg.append(el("text", { x: sx(b), y: H - B + 14, "text-anchor": "middle" }, String(b)));
  if ((xMax & (xMax - 1)) !== 0) svg.append(el("text", { x: sx(xMax), y: H - B + 14, "text-anchor": "middle" }, String(xMax)));
  svg.append(el("text", { x: (L + W - R) / 2, y: H - 3, "text-anchor": "middle" }, "max bond"));
  for (let t = 0; t <= 4; t++) {
    const v = lo + ((hi - lo) * t) / 4;
    svg.append(el("text", { x: L - 5, y: sy(v) + 4, "text-anchor": "end" }, v.toFixed(hi - lo < 5 ? 1 : 0)), el("line", { x1: L, x2: W - R, y1: sy(v), y2: sy(v), stroke: "#eef1f5" }));
  }
  if (ref) {
    svg.append(el("line", { x1: L, x2: W - R, y1: sy(ref.value), y2: sy(ref.value), stroke: "#8a93a3", "stroke-dasharray": "4 3" }));
    svg.append(el("text", { x: W - R - 2, y: sy(ref.value) - 4, "text-anchor": "end" }, ref.label));
  }
  const sorted = [...points].sort((a, b) => a.bond - b.bond);
  if (sorted.length > 1) svg.append(el("polyline", { points: sorted.map((p) => `${sx(p.bond)},${sy(y(p))}`).join(" "), fill: "none", stroke: color, "stroke-width": 2 }));
  for (const p of sorted) svg.append(el("circle", { cx: sx(p.bond), cy: sy(y(p)), r: 3.5, fill: color }));
}

/** Grouped bars: the entropy at every bond of every MPO. */
function entropyChart(svg: SVGSVGElement, groups: readonly { name: string; values: number[] }[]): void {
  svg.replaceChildren();
  const W = 660, H = 200, L = 36, T = 10, B = 34;
  const max = Math.max(0.1, ...groups.flatMap((g) => g.values));
  const total = groups.reduce((n, g) => n + g.values.length, 0) + groups.length;
  const step = (W - L - 10) / total;
  const sy = (v: number) => T + (1 - v / max) * (H - T - B);
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    svg.append(el("line", { x1: L, x2: W - 10, y1: sy(v), y2: sy(v), stroke: "#eef1f5" }), el("text", { x: L - 5, y: sy(v) + 4, "text-anchor": "end" }, v.toFixed(1)));
  }
  const colors = ["#3358d4", "#1a7f4b", "#c2791b", "#8e44ad", "#b4322f"];
  let x = L + step / 2;
  groups.forEach((g, gi) => {
    const start = x;
    g.values.forEach((v, k) => {
      const r = el("rect", { x: x, y: sy(v), width: step * 0.8, height: H - B - sy(v), fill: colors[gi % colors.length]!, rx: 2 });
      r.append(el("title", {}, `${g.name}, bond ${k + 1}: ${v.toFixed(3)} nats`));
      svg.append(r);
      x += step;
    });
    svg.append(el("text", { x: (start + x - step * 0.2) / 2, y: H - B + 16, "text-anchor": "middle" }, g.name));
    x += step;
  });
}

async function main(): Promise<void> {
  await init();
  const response = await fetch("./model/imdb-sentiment.safetensors");
  const bytes = new Uint8Array(await response.clone().arrayBuffer());
  const model = (await load(response)) as TextClassifier;
  if (!(model instanceof nn.TextClassifier)) throw new Error("the model file is not a text classifier");
  const summary = (await (await fetch("./model/imdb-sentiment.json")).json()) as Summary;
  const slice = (await (await fetch("./validation.json")).json()) as Review[];
  $("status").textContent = `model loaded: ${(bytes.length / 1024).toFixed(1)} KB`;
  $("slicesize").textContent = String(slice.length);

  // Classify.
  // The time shown is a warm call: the first call for a new text length also picks kernels (nn/mpo-lstm.ts).
  const classify = (text: string) => {
    const p = model.predict(text);
    const t0 = performance.now();
    model.predict(text);
    return { ...p, ms: performance.now() - t0 };
  };
  const show = () => {
    const text = $<HTMLTextAreaElement>("review").value;
    if (text.trim() === "") { $("verdict").textContent = "type a review"; return; }
    const p = classify(text);
    const pos = p.probabilities[1]!;
    $("verdict").textContent = `${p.label} (${(100 * p.probability).toFixed(1)}%)`;
    $("verdict").className = `verdict ${p.label}`;
    $("bar").style.width = `${(100 * pos).toFixed(1)}%`;
    $("timing").textContent = `inference ${p.ms.toFixed(2)} ms for ${model.tokenizer!.length(text)} tokens (batch 1, WebAssembly SIMD)`;
  };
  for (const [i, text] of EXAMPLES.entries()) {
    const b = document.createElement("button");
    b.textContent = ["praise", "pan", "mixed"][i]!;
    b.onclick = () => { $<HTMLTextAreaElement>("review").value = text; show(); };
    $("examples").append(b);
  }
  $<HTMLButtonElement>("classify").onclick = show;
  $<HTMLButtonElement>("classify").disabled = false;
  show();

  // Sizes.
  const rows: [string, string, string, string][] = [
    ["", "file", "parameters", "test accuracy"],
    ["MPO model (this page)", `${(bytes.length / 1024).toFixed(1)} KB`, summary.parameters.mpo.toLocaleString("en"), `${summary.test.mpoAccuracy.toFixed(2)}%`],
    ["dense twin", `${(summary.bytes.dense / 1024).toFixed(0)} KB`, summary.parameters.dense.toLocaleString("en"), `${summary.test.denseAccuracy.toFixed(2)}%`],
  ];
  $("sizes").querySelector("tbody")!.replaceChildren(...rows.map((r, i) => {
    const tr = document.createElement("tr");
    r.forEach((c, j) => { const td = document.createElement(i === 0 ? "th" : "td"); td.textContent = c; if (j > 0) td.className = "num"; tr.append(td); });
    return tr;
  }));
  $("sizenote").textContent = `${(summary.bytes.dense / bytes.length).toFixed(1)}x smaller; accuracy on all ${summary.test.reviews.toLocaleString("en")} IMDB test reviews. The file includes the ${model.tokenizer!.vocab.size.toLocaleString("en")}-word vocabulary.`;

  // Explorer.
  const slots = mpoSlots(model);
  const maxBond = Math.max(...slots.flatMap((s) => s.get().bonds));
  const slider = $<HTMLInputElement>("bond");
  slider.max = String(maxBond);
  slider.value = String(Math.min(4, maxBond));
  $("bondvalue").textContent = slider.value;
  slider.oninput = () => { $("bondvalue").textContent = slider.value; };
  const full = score(model, slice);
  const points: Point[] = [{ bond: maxBond, accuracy: full.accuracy, kb: bytes.length / 1024 }];
  const draw = (groups: { name: string; values: number[] }[], which: string) => {
    lineChart($("accchart") as unknown as SVGSVGElement, points, (p) => p.accuracy, { value: full.accuracy, label: "full model" }, "#3358d4");
    lineChart($("sizechart") as unknown as SVGSVGElement, points, (p) => p.kb, null, "#1a7f4b");
    entropyChart($("entropychart") as unknown as SVGSVGElement, groups);
    $("entropywhich").textContent = which;
  };
  draw(slots.map((s) => ({ name: s.name, values: s.get().entropies() })), "full model");

  /** Re-truncates a fresh copy of the model to `bond` and scores it. */
  const explore = (bond: number) => {
    const copy = loadSync(bytes) as TextClassifier;
    try {
      const t0 = performance.now();
      const groups = mpoSlots(copy).map((s) => {
        const m = s.get();
        m.truncate({ maxBond: bond });
        s.set(m);
        return { name: s.name, values: m.entropies() };
      });
      const truncateMs = performance.now() - t0;
      const kb = save(copy).length / 1024;
      const { accuracy, ms } = score(copy, slice);
      const i = points.findIndex((p) => p.bond === bond);
      if (i >= 0) points.splice(i, 1);
      points.push({ bond, accuracy, kb });
      draw(groups, `max bond ${bond}`);
      return { bond, accuracy, kb, truncateMs, msPerReview: ms };
    } finally {
      copy.dispose();
    }
  };
  $<HTMLButtonElement>("truncate").onclick = () => {
    $("explorestatus").textContent = "working...";
    setTimeout(() => {
      const r = explore(Number(slider.value));
      $("explorestatus").textContent = `bond ${r.bond}: ${r.accuracy.toFixed(1)}% on ${slice.length} reviews, ${r.kb.toFixed(1)} KB (SVDs ${r.truncateMs.toFixed(0)} ms)`;
      $("explorestatus").dataset.done = String(r.bond);
    }, 10);
  };
  $<HTMLButtonElement>("truncate").disabled = false;
  // Sweep: every power of two below the full bond, one at a time so the page stays responsive.
  $<HTMLButtonElement>("sweep").onclick = () => {
    const bonds: number[] = [];
    for (let b = 1; b < maxBond; b *= 2) bonds.push(b);
    const next = () => {
      const b = bonds.shift();
      if (b === undefined) { $("explorestatus").textContent = `sweep done: ${points.length} points`; return; }
      $("explorestatus").textContent = `bond ${b}...`;
      setTimeout(() => { explore(b); next(); }, 10);
    };
    next();
  };
  $<HTMLButtonElement>("sweep").disabled = false;
  $("explorestatus").textContent = `full model: ${full.accuracy.toFixed(1)}% on ${slice.length} reviews (${full.ms.toFixed(2)} ms per review)`;

  Object.assign(window, { demo: { predict: (text: string) => { const p = classify(text); return { label: p.label, probability: p.probability, probabilities: p.probabilities, ms: p.ms }; }, explore, fullAccuracy: full.accuracy }, demoReady: true });
}

main().catch((e: unknown) => {
  $("status").textContent = `error: ${e instanceof Error ? e.message : String(e)}`;
  console.error(e);
  Object.assign(window, { demoError: String(e instanceof Error ? e.stack : e) });
});
