/**
 * GEMM and GEMV, f32, row-major.
 *
 *   C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C[m,n]
 *
 * op(X) is X or X^T as transA/transB say (0 or 1). A is stored as [m,k] (lda >= k) when not transposed
 * and as [k,m] (lda >= m) when transposed; likewise B is [k,n] (ldb >= n) or [n,k] (ldb >= k).
 * beta = 0 overwrites C without reading it (so C may hold NaN garbage).
 */
export function gemm_f32(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  alpha: f32, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f32, c: usize, ldc: i32,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc: f32 = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? load<f32>(a + ((<usize>p * lda + i) << 2)) : load<f32>(a + ((<usize>i * lda + p) << 2));
        const bv = transB ? load<f32>(b + ((<usize>j * ldb + p) << 2)) : load<f32>(b + ((<usize>p * ldb + j) << 2));
        acc += av * bv;
      }
      const cp = c + ((<usize>i * ldc + j) << 2);
      store<f32>(cp, beta == 0 ? alpha * acc : alpha * acc + beta * load<f32>(cp));
    }
  }
}

/**
 * GEMV: y[m] = alpha * op(A) * x + beta * y, A stored [m,n] (lda >= n) when transA = 0, so op(A) is
 * [m,n]; when transA = 1, A is stored [n,m] (lda >= m) and op(A) = A^T is [m,n]. x has n entries.
 */
export function gemv_f32(
  transA: i32, m: i32, n: i32, alpha: f32, a: usize, lda: i32, x: usize, beta: f32, y: usize,
): void {
  gemm_f32(transA, 0, m, 1, n, alpha, a, lda, x, 1, beta, y, 1);
}
