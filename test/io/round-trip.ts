/** Shared model-file assertions: exact round trips of modules. */
import * as assert from "uvu/assert";
import { loadSync, save } from "../../src/io/model-file.js";
import type { Module } from "../../src/nn/module.js";

/** Same parameter names, shapes, frozen flags and bitwise values. */
export function sameParameters(a: Module, b: Module): void {
  const pa = a.namedParameters(), pb = b.namedParameters();
  assert.equal(pa.map(([n, p]) => [n, p.shape, p.frozen]), pb.map(([n, p]) => [n, p.shape, p.frozen]));
  pa.forEach(([n, p], i) => assert.equal(p.toArray(), pb[i]![1].toArray(), n));
}

/** save -> load gives the same class, config and values, and saving the loaded model gives the same bytes. */
export function assertExactRoundTrip(m: Module): void {
  const bytes = save(m);
  const back = loadSync(bytes) as Module;
  assert.is(back.constructor, m.constructor);
  assert.equal(back.config(), m.config());
  sameParameters(back, m);
  assert.equal(save(back), bytes);
  back.dispose();
}
