/**
 * A CheckpointStore on disk: `<dir>/state.json` (progress and results) and `<dir>/tensors.safetensors`
 * (weights and optimizer state), each written atomically, tensors first, so a crash leaves the previous
 * checkpoint or the new one, never a mix that --resume would trust: the state names the tensor file's
 * size, which is checked on load.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { MpoLstmError } from "../errors.js";
import type { Checkpoint, CheckpointStore } from "../experiment/checkpoint.js";
import { readFileBounded, writeFileAtomic } from "../io/node.js";
import { decodeSafetensors, encodeSafetensors } from "../io/safetensors.js";
import { toFloat32 } from "../io/dtype.js";

export function fileCheckpointStore(dir: string): CheckpointStore {
  const stateFile = join(dir, "state.json");
  const tensorFile = join(dir, "tensors.safetensors");
  return {
    load(): Checkpoint | null {
      if (!existsSync(stateFile)) return null;
      let state: Omit<Checkpoint, "tensors"> & { tensorBytes?: number };
      try {
        state = JSON.parse(readFileSync(stateFile, "utf8")) as typeof state;
      } catch (e) {
        throw new MpoLstmError("format", `checkpoint ${stateFile} is not valid JSON (${(e as Error).message}); delete ${dir} to start over`);
      }
      const tensors: Record<string, Float32Array> = {};
      if (state.current) {
        const bytes = readFileBounded(tensorFile);
        if (bytes.length !== state.tensorBytes) throw new MpoLstmError("format", `checkpoint ${tensorFile} has ${bytes.length} bytes, the state expects ${state.tensorBytes}; delete ${dir} to start over`);
        const decoded = decodeSafetensors(bytes);
        for (const [name, t] of decoded.tensors) tensors[name] = toFloat32(t.dtype, t.data, name);
      }
      const { tensorBytes: _ignored, ...rest } = state;
      return { ...rest, tensors };
    },
    save(c: Checkpoint): void {
      mkdirSync(dir, { recursive: true });
      const { tensors, ...state } = c;
      const bytes = encodeSafetensors(new Map(Object.entries(tensors).map(([n, v]) => [n, { dtype: "F32" as const, shape: [v.length], data: v }])));
      writeFileAtomic(tensorFile, bytes);
      writeFileAtomic(stateFile, new TextEncoder().encode(JSON.stringify({ ...state, tensorBytes: bytes.length })));
    },
    clear(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
