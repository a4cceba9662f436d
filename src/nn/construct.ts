/**
 * Construction that cannot strand memory. A constructor that runs out of arena memory (or meets a bad
 * config) half-way has already allocated some parameters; the half-built module never reaches the
 * caller, so nobody could dispose them, and each failed attempt would leak. `freeOnThrow` records every
 * Parameter created while `build` runs (nested calls record into every open record) and disposes them all
 * if `build` throws; on success they belong to what `build` returned.
 */
import type { Tensor } from "../tensor.js";

const open: Tensor[][] = [];

/** Called by Parameter's constructor: the parameter joins every open construction record. */
export function noteConstructed(t: Tensor): void {
  for (const record of open) record.push(t);
}

/** Runs `build`; if it throws, disposes every parameter created meanwhile, then rethrows. */
export function freeOnThrow<T>(build: () => T): T {
  const record: Tensor[] = [];
  open.push(record);
  try {
    return build();
  } catch (e) {
    for (const t of record) if (!t.disposed) t.dispose();
    throw e;
  } finally {
    open.splice(open.lastIndexOf(record), 1);
  }
}
