/**
 * Builds the demo into examples/browser/dist/ (ignored): the page, its code bundled with the package by
 * esbuild, the pretrained model and its numbers (models/), and a validation slice for the compression
 * explorer: the first 200 reviews of the validation part of the IMDB split the model was trained with
 * (src/data/imdb.ts's seeded split; none of them was trained on), each cut to the tokens the model reads.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { loadImdbReviews } from "../../src/data/imdb.js";
import { seededPermutation } from "../../src/data/seeded.js";
import { tokenize } from "../../src/data/tokenizer.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..");
export const DEMO_DIST = join(HERE, "dist");
export const MODEL = join(ROOT, "models", "imdb-sentiment.safetensors");
const SLICE_SIZE = 200;

/** The validation slice: reviews of the held-out validation part, cut to their last `maxLength` tokens. */
export function validationSlice(maxLength: number, count = SLICE_SIZE): { text: string; label: number }[] {
  const reviews = loadImdbReviews();
  const perm = seededPermutation(reviews.length, 2011);
  const half = reviews.length >> 1;
  const nVal = Math.round(half * 0.1);
  return Array.from(perm.subarray(half - nVal, half - nVal + count), (i) => ({ text: tokenize(reviews[i]!.text).slice(-maxLength).join(" "), label: reviews[i]!.label }));
}

/** Writes the demo into DEMO_DIST; returns that folder. */
export async function buildDemo(): Promise<string> {
  if (!existsSync(MODEL)) throw new Error(`${MODEL} is missing: run npm run train:sentiment first`);
  mkdirSync(join(DEMO_DIST, "model"), { recursive: true });
  await build({ entryPoints: [join(HERE, "demo.ts")], bundle: true, format: "esm", platform: "browser", target: "es2022", outfile: join(DEMO_DIST, "demo.js"), sourcemap: true, logLevel: "warning" });
  copyFileSync(join(HERE, "index.html"), join(DEMO_DIST, "index.html"));
  copyFileSync(MODEL, join(DEMO_DIST, "model", "imdb-sentiment.safetensors"));
  copyFileSync(MODEL.replace(/\.safetensors$/, ".json"), join(DEMO_DIST, "model", "imdb-sentiment.json"));
  const summary = JSON.parse(await import("node:fs").then((fs) => fs.readFileSync(MODEL.replace(/\.safetensors$/, ".json"), "utf8"))) as { config: { maxLength: number } };
  writeFileSync(join(DEMO_DIST, "validation.json"), JSON.stringify(validationSlice(summary.config.maxLength)));
  return DEMO_DIST;
}
