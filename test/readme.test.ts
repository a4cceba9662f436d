/**
 * Every code block of README.md runs here, so an example cannot rot:
 * - ```js blocks run in order, each as its own ES module importing the built package by its name
 *   (Node's package self-reference), in one scratch directory, so a later block can read a file an
 *   earlier one wrote. A ```js browser block runs the same way with `fetch` answering from that directory.
 * - ```sh blocks: every `mpo-lstm` / `npx mpo-lstm` command is parsed by the command's own parser
 *   (flags, presets, knobs) without running the work, except `predict`, which is cheap and runs;
 *   `npm` lines must name the package's own scripts.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseCompressArgs } from "../src/cli/compress.js";
import { parseExperimentArgs } from "../src/cli/experiment.js";
import { runPredict } from "../src/cli/predict.js";
import { configFor } from "../src/experiment/config.js";

interface Block {
  lang: string;
  tags: string[];
  code: string;
  line: number;
}

function blocksOf(markdown: string): Block[] {
  const out: Block[] = [];
  const re = /^```([^\n]*)\n([\s\S]*?)^```$/gm;
  for (const m of markdown.matchAll(re)) {
    const [lang = "", ...tags] = m[1]!.trim().split(/\s+/);
    out.push({ lang, tags, code: m[2]!, line: markdown.slice(0, m.index).split("\n").length });
  }
  return out;
}

const README = readFileSync("README.md", "utf8");
const blocks = blocksOf(README);

/** Answers fetch(url) from the scratch directory, as a static file server would. */
const FETCH_FROM_DIR = `
import { readFileSync as __read } from "node:fs";
globalThis.fetch = async (url) => new Response(__read(new URL(String(url), "file://" + process.cwd() + "/")));
`;

test("README: the js blocks run, in order, against the built package", () => {
  const js = blocks.filter((b) => b.lang === "js");
  assert.ok(js.length >= 2, "the README has a Node and a browser quick start");
  const scratch = mkdtempSync(join(tmpdir(), "mpo-readme-"));
  cpSync("models", join(scratch, "models"), { recursive: true }); // what the README's paths name
  const here = resolve(".readme-blocks"); // inside the package, so `import "mpo-lstm"` resolves to it
  mkdirSync(here, { recursive: true });
  try {
    for (const [i, b] of js.entries()) {
      const file = join(here, `block-${i}.mjs`);
      writeFileSync(file, (b.tags.includes("browser") ? FETCH_FROM_DIR : "") + b.code);
      try {
        execFileSync(process.execPath, [file], { cwd: scratch, stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
      } catch (e) {
        const err = e as { stderr?: Buffer; stdout?: Buffer };
        assert.unreachable(`README.md line ${b.line} (js block ${i}) failed:\n${err.stderr?.toString() ?? ""}${err.stdout?.toString() ?? ""}`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(here, { recursive: true, force: true });
  }
});

/** The words of a shell line, quotes removed (the README uses no escapes). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

test("README: every mpo-lstm command in the sh blocks parses", () => {
  const scripts = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts;
  let commands = 0;
  for (const b of blocks.filter((x) => x.lang === "sh")) {
    for (const raw of b.code.split("\n")) {
      const line = raw.replace(/\s+#.*$/, "").trim();
      if (line === "" || line.startsWith("#")) continue;
      for (const part of line.split("&&").map((p) => p.trim())) {
        const w = words(part);
        const at = w[0] === "npx" ? 1 : 0;
        if (w[0] === "npm") {
          const script = w[1] === "run" ? w[2]! : w[1]!;
          if (!["install", "i", "test", "start", "pack"].includes(script)) assert.ok(script in scripts, `README.md line ${b.line}: npm script "${script}" does not exist`);
          continue;
        }
        if (w[at] !== "mpo-lstm") continue;
        commands++;
        const [command, ...args] = w.slice(at + 1);
        if (command === "experiment") {
          if (args.includes("--help")) continue;
          const parsed = parseExperimentArgs(args);
          if (parsed.target !== "quick") configFor(parsed.target, parsed.preset ?? "default", parsed.overrides);
        } else if (command === "compress") {
          parseCompressArgs(args);
        } else if (command === "predict") {
          const errors: string[] = [];
          assert.is(runPredict(args, () => {}, (e) => errors.push(e)), 0, `README.md line ${b.line}: ${errors.join(" ")}`);
        } else {
          assert.is(command, "--help", `README.md line ${b.line}: unknown command "${command}"`);
        }
      }
    }
  }
  assert.ok(commands > 0, "the README shows the command line");
});

test.run();
