/**
 * Which build of the kernel module to load. The package carries two: "simd" (Wasm SIMD 128, every engine
 * since 2021) and "relaxed-simd" (the same kernels with each f32x4 multiply-add as one relaxed_madd, which
 * engines lower to a fused multiply-add where the CPU has one). Chromium ships relaxed SIMD; Node 20 has it
 * behind `--experimental-wasm-relaxed-simd`. The choice is made once, before the module loads.
 *
 * The default is "simd": FMA rounds once where mul + add round twice, so the two builds give results a few
 * float32 ulps apart, and relaxed_madd may itself be fused on one CPU and not on another, while this
 * package promises the same bits for the same weights and inputs in every engine and on every machine
 * (test/runtimes checks Node, Deno, Bun and Chromium against each other). `preferKernels("auto")` opts in
 * to feature detection (`WebAssembly.validate` of an 82-byte module using relaxed_madd): the relaxed build
 * where the engine has it. Both builds pass the same float64-reference tests at the same tolerances.
 */
import { MpoLstmError } from "../errors.js";

export type KernelVariant = "simd" | "relaxed-simd";

/** (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0))) */
const RELAXED_PROBE = (() => {
  const zero = new Array<number>(16).fill(0);
  const konst = [0xfd, 0x0c, ...zero];
  const body = [0x00, ...konst, ...konst, ...konst, 0xfd, 0x85, 0x02, 0x0b];
  const code = [0x01, body.length, ...body];
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00, 0x0a, code.length, ...code]);
})();

let preference: KernelVariant | "auto" = "simd";

/** True when this engine validates relaxed SIMD (f32x4.relaxed_madd). */
export function relaxedSimdSupported(): boolean {
  try {
    return WebAssembly.validate(RELAXED_PROBE as BufferSource);
  } catch {
    return false;
  }
}

/** The build a backend loads now: the preference (preferKernels in module.ts; default "simd"); "auto": relaxed SIMD where the engine has it. */
export function kernelVariant(): KernelVariant {
  if (preference !== "auto") return preference;
  return relaxedSimdSupported() ? "relaxed-simd" : "simd";
}

/** Sets the preference after checking it (module.ts's preferKernels also checks what is loaded). */
export function setKernelPreference(variant: KernelVariant | "auto"): void {
  if (variant !== "auto" && variant !== "simd" && variant !== "relaxed-simd") throw new MpoLstmError("value", `preferKernels: unknown build "${String(variant)}"; use "auto", "simd" or "relaxed-simd"`);
  if (variant === "relaxed-simd" && !relaxedSimdSupported()) throw new MpoLstmError("unsupported", `preferKernels: this engine has no relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd); use "simd" or "auto"`);
  preference = variant;
}
