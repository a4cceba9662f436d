// Reading the committed PyTorch fixtures (test/fixtures/*.json, written by scripts/fixtures/*.py).
// Every tensor there is {"shape": [...], "data": [...]} with data row-major in float64; these helpers
// narrow the parsed JSON (unknown) without `any` and fail with the path of the field that is wrong.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** A tensor as stored in a fixture: shape and row-major float64 data. */
export interface FixtureTensor {
  shape: number[];
  data: Float64Array;
}

const FIXTURE_DIR = fileURLToPath(new URL("../fixtures/", import.meta.url));

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === "number");
}

/** Absolute path of a file in test/fixtures/. */
export function fixturePath(name: string): string {
  return FIXTURE_DIR + name;
}

/** Parsed JSON object of test/fixtures/<name>. */
export function loadFixture(name: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(readFileSync(fixturePath(name), "utf8"));
  if (!isRecord(parsed)) throw new Error(`fixture ${name}: top level is not an object`);
  return parsed;
}

/** Follows a dotted path ("grads.weight_ih_l0") through nested objects. */
export function field(obj: Record<string, unknown>, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (!isRecord(cur) || !(key in cur)) throw new Error(`fixture field "${path}" is missing (at "${key}")`);
    cur = cur[key];
  }
  return cur;
}

/** The tensor at `path`, checked: shape is a list of sizes whose product is the data length. */
export function tensorField(obj: Record<string, unknown>, path: string): FixtureTensor {
  const t = field(obj, path);
  if (!isRecord(t) || !isNumberArray(t["shape"]) || !isNumberArray(t["data"])) {
    throw new Error(`fixture field "${path}" is not {shape: number[], data: number[]}`);
  }
  const size = t["shape"].reduce((a, b) => a * b, 1);
  if (size !== t["data"].length) throw new Error(`fixture field "${path}": shape [${t["shape"].join(", ")}] holds ${size} values, data has ${t["data"].length}`);
  return { shape: t["shape"], data: Float64Array.from(t["data"]) };
}

/** The number at `path`. */
export function numberField(obj: Record<string, unknown>, path: string): number {
  const v = field(obj, path);
  if (typeof v !== "number") throw new Error(`fixture field "${path}" is not a number`);
  return v;
}

/** The list of numbers at `path`, or null where the fixture stores null (e.g. "lengths" when all are full). */
export function numberListField(obj: Record<string, unknown>, path: string): number[] | null {
  const v = field(obj, path);
  if (v === null) return null;
  if (!isNumberArray(v)) throw new Error(`fixture field "${path}" is not a list of numbers`);
  return v;
}
