/** First byte the host may allocate from: everything below holds this module's static data. */
export function heapBase(): usize {
  // Round up to 64 bytes so that host allocations start cache-line aligned.
  return (__heap_base + 63) & ~(<usize>63);
}
