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
import { accessSync, constants, existsSync, realpathSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { MpoLstmError } from "../errors.js";
import { loadFile, saveFile } from "../io/node.js";
import { compressModel, MODULE_KIND_NAMES, type CompressModelOptions, type MatrixReport, type ModuleKindName } from "../nn/compress-model.js";
import { Module } from "../nn/module.js";
import { quote } from "../quote.js";

export const COMPRESS_USAGE = `Usage: mpo-lstm compress <model.safetensors> (--ratio R | --bond D) -o <out.safetensors> [options]

Compresses every dense LSTM, Embedding and Linear of a model file into MPO (tensor-train) form by
TT-SVD and saves the result; prints parameter counts, compression and truncation error per matrix, and
the whole file's bytes before and after.

  --ratio R            target compression (dense / MPO parameters) per matrix, R >= 1; per kind of
                       module: --ratio lstm=20,embedding=50 (kinds: lstm, embedding, linear; a kind
                       not named stays dense unless a plain R is also given: --ratio 10,embedding=50)
  --bond D             uniform bond dimension D >= 1 instead of a ratio (per kind too: --bond linear=4)
  -o, --output PATH    where to write the compressed model (written atomically)
  --cores N            cores per matrix when factors are not given (default 4)
  --f16                store the parameters as float16 (safetensors F16): half the bytes, rounded
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
  /** Store parameters as float16. */
  f16?: boolean;
  /** Per-kind ratios and bonds (--ratio lstm=20,embedding=50). */
  ratioPer?: Partial<Record<ModuleKindName, number>>;
  bondPer?: Partial<Record<ModuleKindName, number>>;
}

/** A usage error: one line, pointing at --help (the usage text is not repeated under every mistake). */
function usage(message: string): MpoLstmError {
  return new MpoLstmError("value", `${message} (see mpo-lstm compress --help)`);
}

function parseFactors(flag: string, v: string): number[] {
  const f = v.split(",").map((s) => Number(s.trim()));
  if (f.length === 0 || f.some((x) => !Number.isInteger(x) || x < 1)) throw usage(`${flag} must be a comma-separated list of positive integers like 8,2,2,8, got ${quote(v)}`);
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
        const v = value();
        const { all, per } = parsePerKind(flag, v, (r) => Number.isFinite(r) && r >= 1, "a number >= 1 (dense / MPO parameters)");
        if (all !== undefined) out.ratio = all;
        if (Object.keys(per).length > 0) out.ratioPer = per;
        break;
      }
      case "--bond": {
        const v = value();
        const { all, per } = parsePerKind(flag, v, (d) => Number.isInteger(d) && d >= 1, "an integer >= 1");
        if (all !== undefined) out.bond = all;
        if (Object.keys(per).length > 0) out.bondPer = per;
        break;
      }
      case "--cores": {
        const v = value(), n = Number(v);
        if (!(Number.isInteger(n) && n >= 1 && n <= 16)) throw usage(`--cores must be an integer from 1 to 16, got ${quote(v)}`);
        out.cores = n;
        break;
      }
      case "--f16":
        out.f16 = true;
        break;
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
        if (arg.startsWith("-") && arg.length > 1) throw usage(`unknown option ${quote(arg)}`);
        positional.push(arg);
    }
  }
  if (positional.length !== 1) throw usage(positional.length === 0 ? "no input model file given" : `one input model file expected, got ${positional.length}: ${quote(positional)}`);
  if (out.output === undefined) throw usage("no output file given (-o out.safetensors)");
  if (out.output === "") throw usage("the output file name is empty (-o out.safetensors)");
  if (out.ratio !== undefined && out.bond !== undefined) throw usage("give exactly one of --ratio R and --bond D for all modules (per kind, each kind takes one)");
  if (out.ratio === undefined && out.bond === undefined && out.ratioPer === undefined && out.bondPer === undefined) throw usage("give --ratio R or --bond D (or per kind: --ratio lstm=20,embedding=50)");
  const both = MODULE_KIND_NAMES.filter((k) => out.ratioPer?.[k] !== undefined && out.bondPer?.[k] !== undefined);
  if (both.length > 0) throw usage(`${both.join(", ")} has both a ratio and a bond; give one`);
  if (out.cores !== undefined && (out.inFactors ?? out.outFactors) !== undefined && (out.inFactors ?? out.outFactors)!.length !== out.cores) throw usage(`--cores ${out.cores} disagrees with the ${(out.inFactors ?? out.outFactors)!.length} factors given`);
  if (out.inFactors && out.outFactors && out.inFactors.length !== out.outFactors.length) throw usage(`--in-factors has ${out.inFactors.length} factors and --out-factors ${out.outFactors.length}; an MPO needs one of each per core`);
  return { input: positional[0]!, ...out } as CompressArgs;
}

/** "R" or "kind=R,kind=R" (optionally with a plain R for the kinds not named). */
function parsePerKind(flag: string, v: string, ok: (x: number) => boolean, what: string): { all?: number; per: Partial<Record<ModuleKindName, number>> } {
  const per: Partial<Record<ModuleKindName, number>> = {};
  let all: number | undefined;
  for (const part of v.split(",").map((p) => p.trim())) {
    const eq = part.indexOf("=");
    const key = eq >= 0 ? part.slice(0, eq).trim() : null;
    const x = Number(eq >= 0 ? part.slice(eq + 1) : part);
    if (part === "" || !ok(x)) throw usage(`${flag} must be ${what}, got ${quote(v)} (per kind: kind=value pairs like lstm=20,embedding=50)`);
    if (key === null) {
      if (all !== undefined) throw usage(`${flag} "${v}" gives two values for all modules`);
      all = x;
    } else {
      if (!(MODULE_KIND_NAMES as readonly string[]).includes(key)) throw usage(`${flag}: unknown kind of module "${key}" (kinds: ${MODULE_KIND_NAMES.join(", ")})`);
      if (per[key as ModuleKindName] !== undefined) throw usage(`${flag}: "${key}" is given twice`);
      per[key as ModuleKindName] = x;
    }
  }
  return { all, per };
}

/** The library options for parsed arguments: per-kind settings, and kinds not named kept dense when no global value. */
export function compressOptionsOf(args: CompressArgs): CompressModelOptions {
  const { ratio, bond, cores, inFactors, outFactors } = args;
  if (args.ratioPer === undefined && args.bondPer === undefined) return { ratio, bond, cores, inFactors, outFactors };
  const modules: NonNullable<CompressModelOptions["modules"]> = {};
  for (const kind of MODULE_KIND_NAMES) {
    const r = args.ratioPer?.[kind], b = args.bondPer?.[kind];
    if (r !== undefined || b !== undefined) modules[kind] = { ...(b !== undefined ? { bond: b } : { ratio: r }), cores, ...(kind === "embedding" ? {} : { inFactors, outFactors }) };
    else if (ratio === undefined && bond === undefined) modules[kind] = false;
  }
  return { ratio, bond, cores, inFactors, outFactors, modules };
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

/** compressModel, with its option names in errors turned into this command's flags. */
function compressModelNamingFlags(root: Module, args: CompressArgs): ReturnType<typeof compressModel> {
  try {
    return compressModel(root, compressOptionsOf(args));
  } catch (e) {
    if (!(e instanceof MpoLstmError)) throw e;
    const flags = e.message.replace(/\binFactors\b/g, "--in-factors").replace(/\boutFactors\b/g, "--out-factors").replace(/another number of cores/, "another --cores");
    throw new MpoLstmError(e.code, flags);
  }
}

/**
 * Checks, before any work, that `output` can be written and is not the input: an output that is the
 * input file (by any path, links included) would replace the dense model by its compressed form; an
 * output in a missing directory, or naming a directory, would fail only after all the compression.
 */
function checkDestination(input: string, output: string): void {
  const sameFile = (): boolean => {
    if (!existsSync(output)) return false;
    const a = statSync(input), b = statSync(output);
    return (a.dev === b.dev && a.ino === b.ino) || realpathSync(input) === realpathSync(output);
  };
  if (resolve(input) === resolve(output) || sameFile()) {
    throw new MpoLstmError("value", `the output ${output} is the input file; write the compressed model to another file (the dense input stays as it is)`);
  }
  if (existsSync(output) && statSync(output).isDirectory()) throw new MpoLstmError("value", `the output ${output} is a directory; give a file name, e.g. -o ${output.replace(/\/+$/, "")}/model-mpo.safetensors`);
  const dir = dirname(resolve(output));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new MpoLstmError("value", `the output's directory ${dirname(output)} does not exist; create it first`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new MpoLstmError("value", `the output's directory ${dirname(output)} is not writable`);
  }
}

/**
 * What the user asked for and did not get, in words: a --ratio beyond what the factorization allows
 * (every bond 1 is the most compression there is), or a --bond so large that the MPO holds more numbers
 * than the dense matrices (bonds stop at full rank, but the cores still outgrow the matrix).
 */
export function shortfalls(args: Pick<CompressArgs, "ratio" | "bond">, rows: readonly MatrixReport[]): string[] {
  const dense = rows.reduce((s, r) => s + r.denseParams, 0), mpo = rows.reduce((s, r) => s + r.mpoParams, 0);
  const reached = dense / mpo;
  const notes: string[] = [];
  // Bond 1 everywhere is the most compression the factors give: asking for more cannot be met.
  if (args.ratio !== undefined && reached < args.ratio && rows.every((r) => r.bonds.every((b) => b === 1))) {
    notes.push(`--ratio ${args.ratio} asked for more than these factors allow: the compression reached is ${reached.toFixed(2)}x, with every bond at 1; use more cores (--cores) for more`);
  }
  if (mpo > dense) {
    notes.push(`${args.bond !== undefined ? `--bond ${args.bond}` : `--ratio ${args.ratio}`} gives MPO cores with more parameters (${mpo}) than the dense matrices (${dense}): the output is larger than the input; use a smaller bond`);
  }
  return notes;
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
    checkDestination(args.input, args.output);
    const inputBytes = statSync(args.input).size;
    const loaded = loadFile(args.input);
    if (!(loaded instanceof Module)) throw new MpoLstmError("value", `${args.input} holds a ${String(loaded.config().type)}, not an nn module`);
    const { model, rows } = compressModelNamingFlags(loaded, args);
    saveFile(args.output, model, args.f16 ? { dtype: "F16" } : {});
    print(formatCompressTable(rows));
    const after = statSync(args.output).size;
    print(`wrote ${args.output}: whole file ${inputBytes} -> ${after} bytes (${(inputBytes / after).toFixed(2)}x smaller)`);
    for (const note of shortfalls(args, rows)) printError(`mpo-lstm compress: note: ${note}`);
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
