/**
 * Seconds per call of `fn`: calls are batched until a batch takes >= `minBatchSeconds`, and the best of
 * `repeats` batches is kept (the least disturbed by other processes on a shared machine).
 */
export function timeIt(fn: () => void, options: { repeats?: number; minBatchSeconds?: number } = {}): number {
  const repeats = options.repeats ?? 5;
  const minBatch = options.minBatchSeconds ?? 0.02;
  fn();
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    const s = (performance.now() - t0) / 1000;
    if (s >= minBatch) break;
    calls = Math.max(calls * 2, Math.ceil((calls * minBatch) / Math.max(s, 1e-6)));
  }
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    best = Math.min(best, (performance.now() - t0) / 1000 / calls);
  }
  return best;
}
