/** factorize finds the smallest spread (largest / smallest factor) there is, checked against brute force. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { factorize } from "../../src/mpo/factorize.js";

/** Smallest spread over all nondecreasing k-factorizations of n. */
function bruteSpread(n: number, k: number, min = 1, first = 0): number {
  if (k === 1) return n >= min ? n / (first || n) : Infinity;
  let best = Infinity;
  for (let f = min; f <= n; f++) if (n % f === 0) best = Math.min(best, bruteSpread(n / f, k - 1, f, first || f));
  return best;
}

test("factorize(64, 4) is [4, 2, 2, 4], and every spread up to n = 300, k = 4 is the smallest possible", () => {
  assert.equal(factorize(64, 4).factors, [4, 2, 2, 4]);
  for (let n = 1; n <= 300; n++) {
    for (let k = 1; k <= 4; k++) assert.is(factorize(n, k).spread, bruteSpread(n, k), `n ${n}, k ${k}`);
  }
});

test.run();
