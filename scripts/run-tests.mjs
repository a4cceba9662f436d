// Runs the uvu suites (TypeScript, through tsx) and closes with one plain line, "N passed, M failed",
// that CI reads. uvu's own summary stays above it. Exit status is uvu's.
import { spawn } from "node:child_process";

const args = ["--import", "tsx", "node_modules/uvu/bin.js", "test", "\\.test\\.ts$", ...process.argv.slice(2)];
const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NO_COLOR: "1" } });
let out = "";
child.stdout.on("data", (chunk) => { out += chunk; process.stdout.write(chunk); });
child.on("close", (code) => {
  const num = (label) => Number((out.match(new RegExp(`${label}:\\s+(\\d+)`)) ?? [])[1] ?? NaN);
  const total = num("Total"), passed = num("Passed"), skipped = num("Skipped");
  if (Number.isFinite(total) && Number.isFinite(passed)) {
    const failed = total - passed - (Number.isFinite(skipped) ? skipped : 0);
    console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  } else {
    console.log("\n0 passed, 1 failed (the test runner printed no summary)");
  }
  process.exit(code === 0 && Number.isFinite(total) ? 0 : 1);
});
