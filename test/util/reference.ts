/** Plain float64 references shared by the integration tests (browser, bundler). */

/** C[m,n] = A[m,k] B[k,n], row-major, dense, in float64. */
export function gemm64(m: number, n: number, k: number, a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const c = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
    c[i * n + j] = s;
  }
  return c;
}

/** One LSTM cell step in float64, gate order [i, f, g, o]; rows with mask 0 keep cPrev, hPrev. */
export function lstmCell64(B: number, H: number, z: ArrayLike<number>, cPrev: ArrayLike<number>, hPrev: ArrayLike<number>, mask: ArrayLike<number> | null): { c: number[]; h: number[] } {
  const sig = (x: number): number => 1 / (1 + Math.exp(-x));
  const c = new Array<number>(B * H), h = new Array<number>(B * H);
  for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
    const zo = b * 4 * H, s = b * H + j;
    const i = sig(z[zo + j]!), f = sig(z[zo + H + j]!), g = Math.tanh(z[zo + 2 * H + j]!), o = sig(z[zo + 3 * H + j]!);
    const cn = f * cPrev[s]! + i * g;
    const live = mask === null || mask[b] !== 0;
    c[s] = live ? cn : cPrev[s]!;
    h[s] = live ? o * Math.tanh(cn) : hPrev[s]!;
  }
  return { c, h };
}
