/**
 * Node-only file helpers for model files and safetensors (the only module that imports node:fs, so the
 * rest of the package stays runtime-neutral).
 *
 * Writes are atomic: the bytes go to a temporary file in the target's directory, which is fsynced and
 * then renamed over the target (rename within one file system is atomic on POSIX and on Windows' NTFS),
 * and the directory is fsynced so the rename itself survives a power cut. A crash at any point leaves
 * either the old file or the new one, never half of one; the temporary file is removed on failure. A
 * process killed outright (kill -9, power cut) cannot remove its temporary file: the next write of the
 * same destination removes those left by processes that no longer run.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { MpoLstmError } from "../errors.js";
import { loadSync, save, type LoadOptions, type SavableModule, type SaveOptions } from "./model-file.js";
import { readStateDict, type NamedTensor } from "./state-dict.js";
import { encodeSafetensors, type DecodeOptions, type SafetensorsInput } from "./safetensors.js";

/** The temporary-file name pattern of a destination: `.<name>.<pid>.<stamp>.tmp`. */
function tempPattern(name: string): RegExp {
  return new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(\\d+)\\.[0-9a-z]+\\.tmp$`);
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // it runs, as another user
  }
}

/** Removes temporary files of `path` left by processes that were killed while writing it. */
function removeStaleTemps(path: string): void {
  const dir = dirname(path);
  const pattern = tempPattern(basename(path));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // the write itself will report an unreadable directory
  }
  for (const name of names) {
    const m = pattern.exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processRuns(pid)) continue; // a write in progress
    try {
      unlinkSync(join(dir, name));
    } catch {
      // removed meanwhile, or not ours to remove
    }
  }
}

/** Writes `bytes` to `path` atomically (see the module header). */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const dir = dirname(path);
  removeStaleTemps(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
  let fd = -1;
  try {
    fd = openSync(tmp, "wx", 0o644);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or never created
    }
    throw e;
  }
  try {
    const dfd = openSync(dir, "r");
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic there.
  }
}

/**
 * Reads a whole file, refusing files over `maxBytes` before allocating (default 4 GiB, the wasm32
 * memory limit: a larger model could not be held anyway).
 */
export function readFileBounded(path: string, maxBytes = 2 ** 32): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) throw new MpoLstmError("format", `${path}: the file is ${size} bytes, more than the limit of ${maxBytes}`);
    const bytes = new Uint8Array(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, bytes, read, size - read, read);
      if (n === 0) break; // the file shrank while we read: the decoder reports the truncation
      read += n;
    }
    return read === size ? bytes : bytes.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** Prefixes a format error with the path, keeping its code. */
function withPath<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MpoLstmError) throw new MpoLstmError(e.code, `${path}: ${e.message}`);
    throw e;
  }
}

/** Saves `module` to `path` (atomically) as a model file; see `save`. */
export function saveFile(path: string, module: SavableModule, opts: SaveOptions = {}): void {
  writeFileAtomic(path, save(module, opts));
}

/** Loads a model file from `path`; see `load`. */
export function loadFile(path: string, opts: LoadOptions = {}): SavableModule {
  const bytes = readFileBounded(path, opts.maxFileBytes);
  return withPath(path, () => loadSync(bytes, opts));
}

/** Writes tensors as a safetensors file at `path` (atomically); see `encodeSafetensors`. */
export function writeSafetensorsFile(path: string, tensors: ReadonlyMap<string, SafetensorsInput | NamedTensor>, metadata: Readonly<Record<string, string>> = {}): void {
  const inputs = new Map<string, SafetensorsInput>();
  for (const [name, t] of tensors) inputs.set(name, "dtype" in t ? t : { dtype: "F32", shape: t.shape, data: t.data });
  writeFileAtomic(path, encodeSafetensors(inputs, metadata));
}

/** Reads a safetensors file at `path` as float32 tensors (e.g. PyTorch weights for importTorchLstm). */
export function readSafetensorsFile(path: string, opts: DecodeOptions & { maxFileBytes?: number } = {}): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  const bytes = readFileBounded(path, opts.maxFileBytes);
  return withPath(path, () => readStateDict(bytes, opts));
}
