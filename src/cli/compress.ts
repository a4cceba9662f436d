/**
 * `mpo-lstm compress model.safetensors (--ratio R | --bond D) -o small.safetensors`: loads a dense model
 * file (an LSTM, a Linear, or a container holding them), replaces every dense LSTM and Linear by its MPO
 * form by TT-SVD (nn/compress.ts), saves the result atomically, and prints per matrix: name, shape,
 * dense and MPO parameter counts, compression, bonds, and the relative truncation error, measured
 * (||W - W_mpo||_F / ||W||_F, in float64 from the saved cores) next to TT-SVD's bound
 * (sqrt(sum of discarded squared singular values) / ||W||_F, ttsvd.ts).
 *
 * Factors: by default each matrix gets `factorize`'s balanced factors (`--cores` of them, default 4).
 * `--in-factors` / `--out-factors` override them for every matrix whose input / output dimension they
 * multiply to; for an LSTM the output is the 4H gate rows, so `--out-factors 32,2,2,8` means hidden
 * factors 8,2,2,8 with the gates stacked on the first (MPOLSTM's layout). Flags that fit no matrix are
 * an error, so a typo is not silently ignored.
 */
import { existsSync, statSync } from "node:fs";
import { MpoLstmError } from "../errors.js";
import { loadFile, saveFile } from "../io/node.js";
import type { Compression } from "../mpo/canonical.js";
import type { MPO } from "../mpo/mpo.js";
import { compressLinear, compressLSTM } from "../nn/compress.js";
import { Linear } from "../nn/linear.js";
import { LSTM, LSTMLayer } from "../nn/lstm.js";
import { Module } from "../nn/module.js";

export const COMPRESS_USAGE = `Usage: mpo-lstm compress <model.safetensors> (--ratio R | --bond D) -o <out.safetensors> [options]

Compresses every dense LSTM and Linear of a model file into MPO (tensor-train) form by TT-SVD and
saves the result; prints parameter counts, compression and truncation error per matrix.

  --ratio R            target compression (dense / MPO parameters) per matrix, R >= 1
  --bond D             uniform bond dimension D >= 1 instead of a ratio
  -o, --output PATH    where to write the compressed model (written atomically)
  --cores N            cores per matrix when factors are not given (default 4)
  --in-factors a,b,..  factors of the input dimension, for every matrix whose input size they multiply to
  --out-factors a,b,.. factors of the output dimension (for an LSTM: of the 4H gate rows, first divisible by 4)
  -h, --help           this text`;

/** Parsed command line of `compress`. */
export interface CompressArgs {
  input: string;
  output: string;
  ratio?: number;
  bond?: number;
  cores?: number;
  inFactors?: number[];
  outFactors?: number[];
}

/** One row of the report: one weight matrix. */
export interface MatrixReport {
  name: string;
  shape: [number, number];
  denseParams: number;
  mpoParams: number;
  compression: number;
  bonds: number[];
  /** ||W - W_mpo||_F / ||W||_F, measured. */
  relError: number;
  /** TT-SVD's bound on relError. */
  relBound: number;
}

function usage(message: string): MpoLstmError {
  return new MpoLstmError("value", `${message}\n\n${COMPRESS_USAGE}`);
}

function parseFactors(flag: string, v: string): number[] {
  const f = v.split(",").map((s) => Number(s.trim()));
  if (f.length === 0 || f.some((x) => !Number.isInteger(x) || x < 1)) throw usage(`${flag} must be a comma-separated list of positive integers like 8,2,2,8, got "${v}"`);
  return f;
}

/** Parses the arguments after `compress`; null for --help. Throws "value" with the usage for bad flags. */
export function parseCompressArgs(argv: readonly string[]): CompressArgs | null {
  const out: Partial<CompressArgs> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") return null;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined || (v.startsWith("-") && v.length > 1 && Number.isNaN(Number(v)))) throw usage(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--ratio": {
        const v = value(), r = Number(v);
        if (!(Number.isFinite(r) && r >= 1)) throw usage(`--ratio must be a number >= 1 (dense / MPO parameters), got "${v}"`);
        out.ratio = r;
        break;
      }
      case "--bond": {
        const v = value(), d = Number(v);
        if (!(Number.isInteger(d) && d >= 1)) throw usage(`--bond must be an integer >= 1, got "${v}"`);
        out.bond = d;
        break;
      }
      case "--cores": {
        const v = value(), n = Number(v);
        if (!(Number.isInteger(n) && n >= 1 && n <= 16)) throw usage(`--cores must be an integer from 1 to 16, got "${v}"`);
        out.cores = n;
        break;
      }
      case "-o":
      case "--output":
        out.output = value();
        break;
      case "--in-factors":
        out.inFactors = parseFactors(flag, value());
        break;
      case "--out-factors":
        out.outFactors = parseFactors(flag, value());
        break;
      default:
        if (arg.startsWith("-") && arg.length > 1) throw usage(`unknown option "${arg}"`);
        positional.push(arg);
    }
  }
  if (positional.length !== 1) throw usage(positional.length === 0 ? "no input model file given" : `one input model file expected, got ${positional.length}: ${positional.join(" ")}`);
  if (out.output === undefined) throw usage("no output file given (-o out.safetensors)");
  if ((out.ratio === undefined) === (out.bond === undefined)) throw usage("give exactly one of --ratio R and --bond D");
  if (out.cores !== undefined && (out.inFactors ?? out.outFactors) !== undefined && (out.inFactors ?? out.outFactors)!.length !== out.cores) throw usage(`--cores ${out.cores} disagrees with the ${(out.inFactors ?? out.outFactors)!.length} factors given`);
  if (out.inFactors && out.outFactors && out.inFactors.length !== out.outFactors.length) throw usage(`--in-factors has ${out.inFactors.length} factors and --out-factors ${out.outFactors.length}; an MPO needs one of each per core`);
  return { input: positional[0]!, ...out } as CompressArgs;
}

const prod = (f: readonly number[]) => f.reduce((p, x) => p * x, 1);

/** ||W - dense(mpo)||_F / ||W||_F in float64, and ||W||_F. */
function relativeError(w: Float32Array, mpo: MPO): { rel: number; norm: number } {
  const approx = mpo.toDense();
  let num = 0, den = 0;
  for (let i = 0; i < w.length; i++) {
    const d = w[i]! - approx[i]!;
    num += d * d;
    den += w[i]! * w[i]!;
  }
  const norm = Math.sqrt(den);
  return { rel: den === 0 ? Math.sqrt(num) : Math.sqrt(num) / norm, norm };
}

function row(name: string, w: Float32Array, mpo: MPO, report: Compression): MatrixReport {
  const { rel, norm } = relativeError(w, mpo);
  const denseParams = mpo.inDim * mpo.outDim;
  return { name, shape: [mpo.outDim, mpo.inDim], denseParams, mpoParams: mpo.paramCount, compression: denseParams / mpo.paramCount, bonds: mpo.bonds, relError: rel, relBound: norm === 0 ? report.errorBound : report.errorBound / norm };
}

/** Which of the factor flags fit some matrix (flags that fit none are an error). */
interface FactorUse {
  inUsed: boolean;
  outUsed: boolean;
}

function isDenseLstm(m: unknown): m is LSTM {
  return m instanceof LSTM && m.layers.every((l) => l instanceof LSTMLayer);
}

/** compressOne, with library errors (e.g. a size without balanced factors) turned into CLI advice. */
function compressOneOrExplain(m: Module, name: string, args: CompressArgs, use: FactorUse): { model: Module; rows: MatrixReport[] } | null {
  try {
    return compressOne(m, name, args, use);
  } catch (e) {
    if (!(e instanceof MpoLstmError)) throw e;
    const what = m instanceof LSTM ? `LSTM ${m.inputSize} -> ${m.hiddenSize}` : m instanceof Linear ? `Linear ${m.inFeatures} -> ${m.outFeatures}` : m.constructor.name;
    throw new MpoLstmError(e.code, `${name === "" ? "the model" : `"${name}"`} (${what}): ${e.message.replace(/^compress: /, "")}; on the command line choose factors with --in-factors / --out-factors, or another --cores`);
  }
}

/** The compressed form of `m` (or null when it is no dense LSTM/Linear), with its report rows. */
function compressOne(m: Module, name: string, args: CompressArgs, use: FactorUse): { model: Module; rows: MatrixReport[] } | null {
  const prefix = name === "" ? "" : `${name}.`;
  const base = { ratio: args.ratio, bond: args.bond, cores: args.cores ?? args.inFactors?.length ?? args.outFactors?.length ?? 4 };
  if (isDenseLstm(m)) {
    const H = m.hiddenSize;
    const inputFactors = args.inFactors && prod(args.inFactors) === m.inputSize ? args.inFactors : undefined;
    const gates = args.outFactors && prod(args.outFactors) === 4 * H && args.outFactors[0]! % 4 === 0 ? args.outFactors : undefined;
    use.inUsed ||= inputFactors !== undefined;
    use.outUsed ||= gates !== undefined;
    const hiddenFactors = gates ? gates.map((f, k) => (k === 0 ? f / 4 : f)) : undefined;
    const weights = m.layers.map((l) => [(l as LSTMLayer).weightIh.toArray(), (l as LSTMLayer).weightHh.toArray()] as const);
    const { model, reports } = compressLSTM(m, { ...base, inputFactors, hiddenFactors });
    const rows = model.mpoLayers.flatMap((layer, l) => {
      const [w, u] = layer.getMPOs();
      return [row(`${prefix}layers.${l}.weightIh`, weights[l]![0], w!, reports[l]![0]), row(`${prefix}layers.${l}.weightHh`, weights[l]![1], u!, reports[l]![1])];
    });
    return { model, rows };
  }
  if (m instanceof Linear) {
    const inFactors = args.inFactors && prod(args.inFactors) === m.inFeatures ? args.inFactors : undefined;
    const outFactors = args.outFactors && prod(args.outFactors) === m.outFeatures ? args.outFactors : undefined;
    use.inUsed ||= inFactors !== undefined;
    use.outUsed ||= outFactors !== undefined;
    const w = m.weight.toArray();
    const { model, report } = compressLinear(m, { ...base, inFactors, outFactors });
    return { model, rows: [row(`${prefix}weight`, w, model.toMPO(), report)] };
  }
  return null;
}

/**
 * Compresses every dense LSTM and Linear in `root` (itself, or found through its properties: a
 * Sequential's layers, a user container's fields), replacing them in place in their parent.
 * Returns the new root and the report rows.
 */
export function compressModel(root: Module, args: CompressArgs): { model: Module; rows: MatrixReport[] } {
  const use: FactorUse = { inUsed: false, outUsed: false };
  const rows: MatrixReport[] = [];
  const seen = new Set<Module>();
  const replaced = new Map<Module, Module>(); // a layer shared by two parents is compressed once, and stays shared
  const visit = (m: Module, name: string): Module => {
    const again = replaced.get(m);
    if (again) return again;
    if (seen.has(m)) return m;
    const done = compressOneOrExplain(m, name, args, use);
    if (done) {
      rows.push(...done.rows);
      m.dispose();
      replaced.set(m, done.model);
      return done.model;
    }
    seen.add(m);
    const holder = m as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(holder)) {
      const child = name === "" ? key : `${name}.${key}`;
      if (value instanceof Module) holder[key] = visit(value, child);
      else if (Array.isArray(value)) value.forEach((v, i) => { if (v instanceof Module) value[i] = visit(v, `${child}.${i}`); });
    }
    return m;
  };
  const model = visit(root, "");
  if (rows.length === 0) throw new MpoLstmError("value", `the model (${String(root.config().type)}) has no dense LSTM or Linear layer to compress`);
  if (args.inFactors && !use.inUsed) throw new MpoLstmError("value", `--in-factors ${args.inFactors.join(",")} multiply to ${prod(args.inFactors)}, which is the input size of no LSTM or Linear in the model (${rows.map((r) => `${r.name} ${r.shape[1]}`).join(", ")})`);
  if (args.outFactors && !use.outUsed) throw new MpoLstmError("value", `--out-factors ${args.outFactors.join(",")} multiply to ${prod(args.outFactors)}, which is the output size of no Linear and not the 4H gate rows of any LSTM (first factor divisible by 4) (${rows.map((r) => `${r.name} ${r.shape[0]}`).join(", ")})`);
  return { model, rows };
}

function fmt(x: number): string {
  if (x === 0) return "0";
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(3) : x.toExponential(2);
}

/** The report as an aligned text table, one row per matrix and a total. */
export function formatCompressTable(rows: readonly MatrixReport[]): string {
  const header = ["matrix", "shape", "dense", "mpo", "compression", "bonds", "rel. error", "bound"];
  const dense = rows.reduce((s, r) => s + r.denseParams, 0), mpo = rows.reduce((s, r) => s + r.mpoParams, 0);
  const body = rows.map((r) => [r.name, `${r.shape[0]}x${r.shape[1]}`, String(r.denseParams), String(r.mpoParams), `${r.compression.toFixed(2)}x`, r.bonds.join(",") || "-", fmt(r.relError), fmt(r.relBound)]);
  body.push(["total", "", String(dense), String(mpo), `${(dense / mpo).toFixed(2)}x`, "", "", ""]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)));
  const line = (cells: readonly string[]) => cells.map((s, c) => (c === 0 || c === 5 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

/**
 * Runs `mpo-lstm compress` with the arguments after the command name; returns the exit code (0 ok, 1 the
 * model could not be compressed or saved, 2 bad usage). Output goes to `print`, errors to `printError`.
 */
export function runCompress(argv: readonly string[], print: (s: string) => void = console.log, printError: (s: string) => void = console.error): number {
  let args: CompressArgs | null;
  try {
    args = parseCompressArgs(argv);
  } catch (e) {
    if (e instanceof MpoLstmError) {
      printError(`mpo-lstm compress: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (args === null) {
    print(COMPRESS_USAGE);
    return 0;
  }
  try {
    if (!existsSync(args.input) || !statSync(args.input).isFile()) throw new MpoLstmError("value", `no model file at ${args.input}`);
    const loaded = loadFile(args.input);
    if (!(loaded instanceof Module)) throw new MpoLstmError("value", `${args.input} holds a ${String(loaded.config().type)}, not an nn module`);
    const { model, rows } = compressModel(loaded, args);
    saveFile(args.output, model);
    print(formatCompressTable(rows));
    print(`wrote ${args.output} (${statSync(args.output).size} bytes; input ${statSync(args.input).size} bytes)`);
    model.dispose();
    return 0;
  } catch (e) {
    // The package's errors, and Node's file-system errors (EACCES, EISDIR...), are the user's to fix.
    if (e instanceof MpoLstmError || (e instanceof Error && typeof (e as { code?: unknown }).code === "string")) {
      printError(`mpo-lstm compress: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
