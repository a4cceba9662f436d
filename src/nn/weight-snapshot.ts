/**
 * A bit-exact copy of some parameter tensors, kept in Wasm memory, to tell whether values derived from
 * them (a rebuilt matrix, merged cores, cached embedding rows) are still valid. Parameters change in
 * place (optimizer steps, loads, direct writes into `data()`), so identity is not enough; comparing the
 * bits is one SIMD pass in Wasm over the snapshot and the tensors (backend sameBits).
 */
import type { Block } from "../backend/arena.js";
import { getBackend } from "../backend/module.js";
import { sameBits } from "../backend/program.js";
import type { Tensor } from "../tensor.js";

export class WeightSnapshot {
  private block: Block | null;
  private readonly sizes: number[];

  constructor(tensors: readonly Tensor[]) {
    this.sizes = tensors.map((t) => t.size);
    const total = this.sizes.reduce((n, s) => n + s, 0);
    this.block = getBackend().arena.alloc(Math.max(1, total) * 4, { longLived: true });
    const view = this.block.f32(); // after the allocation: growing memory detaches older views
    let o = 0;
    for (const t of tensors) { view.set(t.data(), o); o += t.size; }
  }

  /** True when `tensors` are live, have the snapshot's sizes and hold its values bit for bit (-0 and NaN payloads included). */
  matches(tensors: readonly Tensor[]): boolean {
    const snap = this.block;
    if (snap === null || tensors.length !== this.sizes.length) return false;
    let o = 0;
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i]!;
      if (t.disposed || t.size !== this.sizes[i] || !sameBits({ block: t.block }, { block: snap, offset: o }, t.size)) return false;
      o += t.size;
    }
    return true;
  }

  dispose(): void {
    if (this.block && !this.block.freed) getBackend().arena.release(this.block);
    this.block = null;
  }
}
