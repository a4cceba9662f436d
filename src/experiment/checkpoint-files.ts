/**
 * A CheckpointStore on disk: one file, `<dir>/checkpoint.safetensors`, holding the weights and optimizer
 * state as tensors and the progress and results as JSON in its metadata, with a SHA-256 of both. One file
 * is one atomic unit: it is written to a temporary file, fsynced and renamed over the old one
 * (writeFileAtomic), so a process killed at any point leaves the previous checkpoint or the new one,
 * never weights of one epoch beside the progress of another (what two files renamed one after the other
 * allowed). On load the hash is recomputed, and a file that does not match it, or does not decode, is
 * refused with a message saying how to start over.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { MpoLstmError } from "../errors.js";
import type { Checkpoint, CheckpointStore } from "../experiment/checkpoint.js";
import { toFloat32 } from "../io/dtype.js";
import { readFileBounded, writeFileAtomic } from "../io/node.js";
import { decodeSafetensors, encodeSafetensors } from "../io/safetensors.js";

const FILE = "checkpoint.safetensors";
const STATE_KEY = "mpo-lstm.checkpoint";
const HASH_KEY = "mpo-lstm.checkpoint.sha256";
/** The files of the earlier two-file layout, which could be torn between epochs. */
const OLD_FILES = ["state.json", "tensors.safetensors"];

/** SHA-256 of the state text and of every tensor (name, then bytes), in name order. */
function contentHash(state: string, tensors: ReadonlyMap<string, Uint8Array>): string {
  const h = createHash("sha256");
  h.update(state);
  for (const name of [...tensors.keys()].sort()) {
    h.update(`\0${name}\0`);
    h.update(tensors.get(name)!);
  }
  return h.digest("hex");
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function fileCheckpointStore(dir: string): CheckpointStore {
  const file = join(dir, FILE);
  const refuse = (why: string) => new MpoLstmError("format", `checkpoint ${file}: ${why}; delete ${dir} to start over`);
  return {
    load(): Checkpoint | null {
      if (!existsSync(file)) {
        if (OLD_FILES.some((f) => existsSync(join(dir, f)))) throw new MpoLstmError("format", `checkpoint ${dir} was written by an older version of mpo-lstm (state.json + tensors.safetensors, which a kill between the two writes could leave inconsistent); delete ${dir} to start over`);
        return null;
      }
      let decoded: ReturnType<typeof decodeSafetensors>;
      try {
        decoded = decodeSafetensors(readFileBounded(file));
      } catch (e) {
        if (e instanceof MpoLstmError) throw refuse(`the file is damaged (${e.message})`);
        throw e;
      }
      const stateText = decoded.metadata[STATE_KEY];
      if (stateText === undefined) throw refuse("the file holds no checkpoint state");
      const raw = new Map([...decoded.tensors].map(([name, t]) => [name, t.data] as const));
      if (decoded.metadata[HASH_KEY] !== contentHash(stateText, raw)) throw refuse("its contents do not match their SHA-256 (the file was changed or damaged after it was written)");
      let state: unknown;
      try {
        state = JSON.parse(stateText);
      } catch (e) {
        throw refuse(`its state is not valid JSON (${(e as Error).message})`);
      }
      if (!isObject(state) || typeof state.task !== "string" || typeof state.seed !== "number" || !Array.isArray(state.completed) || !(state.current === null || isObject(state.current)) || !isObject(state.config)) {
        throw refuse("its state lacks the task, seed, configuration or progress");
      }
      const tensors: Record<string, Float32Array> = {};
      for (const [name, t] of decoded.tensors) tensors[name] = toFloat32(t.dtype, t.data, name);
      return { ...(state as unknown as Omit<Checkpoint, "tensors">), tensors };
    },
    save(c: Checkpoint): void {
      mkdirSync(dir, { recursive: true });
      const { tensors, ...state } = c;
      const stateText = JSON.stringify(state);
      const bytes = new Map(Object.entries(tensors).map(([n, v]) => [n, new Uint8Array(v.buffer, v.byteOffset, v.byteLength)] as const));
      const hash = contentHash(stateText, bytes);
      const inputs = new Map(Object.entries(tensors).map(([n, v]) => [n, { dtype: "F32" as const, shape: [v.length], data: v }]));
      writeFileAtomic(file, encodeSafetensors(inputs, { [STATE_KEY]: stateText, [HASH_KEY]: hash }));
      for (const old of OLD_FILES) rmSync(join(dir, old), { force: true });
    },
    clear(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
