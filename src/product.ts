/** Product of `xs`, or Infinity once it passes 2^53 (so absurd sizes compare unequal, never wrap). */
export function product(xs: readonly number[]): number {
  let p = 1;
  for (const x of xs) {
    p *= x;
    if (p > Number.MAX_SAFE_INTEGER) return Infinity;
  }
  return p;
}
