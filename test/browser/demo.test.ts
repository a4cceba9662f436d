/**
 * The demo page (examples/browser) in headless Debian chromium, driven by playwright-core: it is built
 * (esbuild bundle, pretrained model, validation slice), served on 127.0.0.1, loads the model with
 * load(fetch(...)); three fixed reviews get the probabilities Node's loadFile(...).predict gives (to 1e-6),
 * the compression explorer runs one re-truncation, and no console error appears. A screenshot is saved
 * to test/browser/output/demo.png (ignored by git) for a person to look at.
 */
import { existsSync, mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildDemo, MODEL } from "../../examples/browser/build.js";
import { serveFolder } from "../../examples/browser/serve.js";
import { loadFile } from "../../src/io/node.js";
import type { TextClassifier } from "../../src/nn/text-classifier.js";
import { CHROMIUM, launchChromium } from "../util/chromium.js";

const OUTPUT = fileURLToPath(new URL("./output/", import.meta.url));
const REVIEWS = [
  "A quietly devastating film. The acting is superb and the ending stayed with me for days.",
  "Two hours of my life I will never get back. Wooden dialogue, no plot, and the worst ending imaginable.",
  "I wanted to like it. The score is lovely, but the script is a mess and nobody seems to care.",
];

interface PagePrediction { label: string; probability: number; probabilities: number[] }

test("the demo page predicts like Node, re-truncates the model, and logs no error", async () => {
  if (!existsSync(CHROMIUM)) {
    console.log("demo browser test NOT RUN: install Debian's chromium (apt-get install chromium)");
    if (process.env.CI) assert.unreachable(`CI is set but ${CHROMIUM} is missing: .ci/run should have installed it`);
    return;
  }
  const root = await buildDemo();
  const server = await serveFolder(root, 0);
  const browser = await launchChromium();
  const node = loadFile(MODEL) as TextClassifier;
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors: string[] = [];
    page.on("console", (msg) => { if (msg.type() === "error" || msg.type() === "warning") errors.push(`${msg.type()}: ${msg.text()}`); });
    page.on("pageerror", (err) => errors.push(String(err)));
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/`);
    // String expressions, so the test's transpiler never rewrites code that runs in the page.
    await page.waitForFunction("window.demoReady === true || window.demoError !== undefined", undefined, { timeout: 60_000 });
    assert.is(await page.evaluate("window.demoError"), undefined, errors.join("\n"));
    for (const text of REVIEWS) {
      const inPage = (await page.evaluate(`window.demo.predict(${JSON.stringify(text)})`)) as PagePrediction;
      const inNode = node.predict(text);
      assert.is(inPage.label, inNode.label, text);
      inNode.probabilities.forEach((p, i) => assert.ok(Math.abs(inPage.probabilities[i]! - p) <= 1e-6, `${text}: class ${i} ${inPage.probabilities[i]} in the page, ${p} in Node`));
    }
    await page.fill("#bond", "2");
    await page.click("#truncate");
    await page.waitForSelector('#explorestatus[data-done="2"]', { timeout: 60_000 });
    const status = await page.textContent("#explorestatus");
    assert.match(status ?? "", /^bond 2: \d+\.\d% on 200 reviews, \d+\.\d KB/);
    assert.ok(((await page.$$("#accchart circle")).length) >= 2, "the accuracy chart has the full model and the re-truncated one");
    assert.ok(((await page.$$("#entropychart rect")).length) > 4, "the entropy chart has bars");
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: `${OUTPUT}demo.png`, fullPage: true });
    assert.equal(errors, [], "console errors and warnings");
  } finally {
    node.dispose();
    await browser.close();
    await new Promise((ok) => server.close(ok));
  }
});

test.run();
