/**
 * The memory arena: every tensor lives in the kernel module's linear memory, in a Block handed out here.
 *
 * Owners. A block is either long-lived (parameters, optimizer state: freed only by `release`) or belongs
 * to the innermost open scope, which frees everything it made when it closes (like tf.tidy). A training
 * step runs in one scope, so memory stays flat however many steps run.
 *
 * Allocator. First-fit over an address-ordered free list with coalescing of neighbours; a freed block
 * that touches the top of the heap lowers the top instead of entering the list. Blocks are 16-byte
 * aligned (one v128) and sized in multiples of 16. Memory grows by at least half of its size at a time,
 * so views detach rarely; Block views notice a detached buffer and refresh.
 *
 * Misuse raises MpoLstmError: using or releasing a freed block, closing scopes out of order, running out
 * of memory (with the request and what is in use).
 */
import { MpoLstmError } from "../errors.js";

const ALIGN = 16;
const PAGE = 65536;
/** wasm32 addresses end at 4 GiB; engines cap lower (V8: 4 GiB, older: 2 GiB). */
const WASM32_LIMIT = 4 * 1024 * 1024 * 1024;

export interface ArenaStats {
  /** Bytes in live blocks (rounded sizes). */
  bytesInUse: number;
  /** Number of live blocks. */
  blocksInUse: number;
  /** Most bytes ever in use at once. */
  peakBytesInUse: number;
  /** First byte above every block and free range: the heap's high-water mark now. */
  heapTop: number;
  /** Size of linear memory in bytes. */
  memoryBytes: number;
  /** Ranges in the free list (fragmentation indicator). */
  freeRanges: number;
}

export class Block {
  /** Byte offset in linear memory (16-byte aligned). */
  readonly ptr: number;
  /** Requested size in bytes. */
  readonly bytes: number;
  /** Size reserved in the arena (bytes rounded up to 16). */
  readonly reserved: number;
  /** Open scope that owns this block, or null when long-lived. */
  scope: Scope | null;
  private freedFlag = false;
  private f32View: Float32Array | null = null;
  private i32View: Int32Array | null = null;

  constructor(readonly arena: Arena, ptr: number, bytes: number, reserved: number, scope: Scope | null) {
    this.ptr = ptr;
    this.bytes = bytes;
    this.reserved = reserved;
    this.scope = scope;
  }

  get freed(): boolean {
    return this.freedFlag;
  }

  /** Throws unless the block is live; `what` names the user of the block in the message. */
  assertLive(what = "block"): void {
    if (this.freedFlag) {
      throw new MpoLstmError("freed", `${what} at byte ${this.ptr} (${this.bytes} bytes) was already freed; keep it (scope.keep or a long-lived allocation) if you need it after its scope closes`);
    }
  }

  /** A zero-copy Float32Array over the block, re-created when memory growth detached the old one. */
  f32(): Float32Array {
    this.assertLive();
    const buf = this.arena.memory.buffer;
    if (this.f32View === null || this.f32View.buffer !== buf) this.f32View = new Float32Array(buf, this.ptr, this.bytes >>> 2);
    return this.f32View;
  }

  /** A zero-copy Int32Array over the block (labels, indices). */
  i32(): Int32Array {
    this.assertLive();
    const buf = this.arena.memory.buffer;
    if (this.i32View === null || this.i32View.buffer !== buf) this.i32View = new Int32Array(buf, this.ptr, this.bytes >>> 2);
    return this.i32View;
  }

  /** Called by the arena only. */
  markFreed(): void {
    this.freedFlag = true;
    this.f32View = null;
    this.i32View = null;
  }
}

export class Scope {
  readonly blocks = new Set<Block>();
  open = true;
  constructor(readonly parent: Scope | null) {}
}

export interface ArenaOptions {
  /** Upper bound on linear memory in bytes (default: 4 GiB, the wasm32 limit). */
  maxBytes?: number;
}

export class Arena {
  readonly memory: WebAssembly.Memory;
  private readonly base: number;
  private top: number;
  private readonly maxBytes: number;
  /** Free ranges, sorted by address, never adjacent to each other or to `top`. */
  private freePtr: number[] = [];
  private freeSize: number[] = [];
  private current: Scope | null = null;
  private inUse = 0;
  private peak = 0;
  private live = 0;

  constructor(memory: WebAssembly.Memory, heapBase: number, options: ArenaOptions = {}) {
    this.memory = memory;
    this.base = roundUp(heapBase, ALIGN);
    this.top = this.base;
    this.maxBytes = Math.min(options.maxBytes ?? WASM32_LIMIT, WASM32_LIMIT);
  }

  /**
   * A block of `bytes` bytes owned by the innermost open scope, or long-lived when `longLived` is set or
   * no scope is open. Contents are unspecified unless `zero` is set.
   */
  alloc(bytes: number, options: { longLived?: boolean; zero?: boolean } = {}): Block {
    if (!Number.isInteger(bytes) || bytes < 0) throw new MpoLstmError("value", `allocation size must be a non-negative integer of bytes, got ${bytes}`);
    const reserved = Math.max(ALIGN, roundUp(bytes, ALIGN));
    const ptr = this.take(reserved);
    const scope = options.longLived ? null : this.current;
    const block = new Block(this, ptr, bytes, reserved, scope);
    if (scope) scope.blocks.add(block);
    this.inUse += reserved;
    this.live++;
    if (this.inUse > this.peak) this.peak = this.inUse;
    if (options.zero) new Uint8Array(this.memory.buffer, ptr, reserved).fill(0);
    return block;
  }

  /** Frees a block now, whoever owns it. */
  release(block: Block): void {
    if (block.arena !== this) throw new MpoLstmError("state", "block belongs to another arena");
    block.assertLive("released block");
    if (block.scope) block.scope.blocks.delete(block);
    block.markFreed();
    this.inUse -= block.reserved;
    this.live--;
    this.give(block.ptr, block.reserved);
  }

  /** Opens a scope; blocks allocated until `closeScope` belong to it. */
  openScope(): Scope {
    const scope = new Scope(this.current);
    this.current = scope;
    return scope;
  }

  /** Closes the innermost scope, freeing every block it still owns. */
  closeScope(scope: Scope): void {
    if (scope !== this.current) throw new MpoLstmError("state", "scopes must close innermost first: this scope is not the innermost open one");
    for (const block of scope.blocks) {
      block.scope = null; // release() would otherwise mutate the set we iterate
      block.markFreed();
      this.inUse -= block.reserved;
      this.live--;
      this.give(block.ptr, block.reserved);
    }
    scope.blocks.clear();
    scope.open = false;
    this.current = scope.parent;
  }

  /** Runs `fn` in a fresh scope and frees what it allocated, except blocks it `keep`s. */
  scope<T>(fn: (scope: Scope) => T): T {
    const scope = this.openScope();
    try {
      return fn(scope);
    } finally {
      this.closeScope(scope);
    }
  }

  /** Moves a block out of its scope: to `to` (an open scope), or long-lived when `to` is null. */
  keep(block: Block, to: Scope | null = null): Block {
    block.assertLive("kept block");
    if (to !== null && !to.open) throw new MpoLstmError("state", "cannot move a block into a closed scope");
    if (block.scope) block.scope.blocks.delete(block);
    block.scope = to;
    if (to) to.blocks.add(block);
    return block;
  }

  /** The innermost open scope, or null. */
  get currentScope(): Scope | null {
    return this.current;
  }

  stats(): ArenaStats {
    return {
      bytesInUse: this.inUse,
      blocksInUse: this.live,
      peakBytesInUse: this.peak,
      heapTop: this.top,
      memoryBytes: this.memory.buffer.byteLength,
      freeRanges: this.freePtr.length,
    };
  }

  private take(size: number): number {
    const ptrs = this.freePtr;
    const sizes = this.freeSize;
    for (let i = 0; i < ptrs.length; i++) {
      if (sizes[i]! >= size) {
        const ptr = ptrs[i]!;
        if (sizes[i] === size) {
          ptrs.splice(i, 1);
          sizes.splice(i, 1);
        } else {
          ptrs[i] = ptr + size;
          sizes[i] = sizes[i]! - size;
        }
        return ptr;
      }
    }
    const ptr = this.top;
    this.ensure(ptr + size, size);
    this.top = ptr + size;
    return ptr;
  }

  private give(ptr: number, size: number): void {
    const ptrs = this.freePtr;
    const sizes = this.freeSize;
    // Binary search for the first free range above ptr.
    let lo = 0;
    let hi = ptrs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ptrs[mid]! < ptr) lo = mid + 1;
      else hi = mid;
    }
    let start = ptr;
    let end = ptr + size;
    let at = lo;
    if (at > 0 && ptrs[at - 1]! + sizes[at - 1]! === start) {
      at--;
      start = ptrs[at]!;
      ptrs.splice(at, 1);
      sizes.splice(at, 1);
    }
    if (at < ptrs.length && ptrs[at] === end) {
      end += sizes[at]!;
      ptrs.splice(at, 1);
      sizes.splice(at, 1);
    }
    if (end === this.top) {
      this.top = start;
      return;
    }
    ptrs.splice(at, 0, start);
    sizes.splice(at, 0, end - start);
  }

  private ensure(end: number, request: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    if (end > this.maxBytes) {
      throw new MpoLstmError("memory", `out of memory: a request for ${request} bytes needs ${end} bytes of linear memory, over the limit of ${this.maxBytes} (${this.inUse} bytes in use in ${this.live} blocks); free tensors you no longer need, run steps inside a scope, or lower the batch size`);
    }
    const want = Math.min(this.maxBytes, Math.max(end, Math.floor(have * 1.5)));
    const pages = Math.ceil((want - have) / PAGE);
    const minPages = Math.ceil((end - have) / PAGE);
    try {
      this.memory.grow(pages);
    } catch {
      try {
        this.memory.grow(minPages);
      } catch {
        throw new MpoLstmError("memory", `out of memory: the engine refused to grow linear memory from ${have} to ${end} bytes for a request of ${request} bytes (${this.inUse} bytes in use in ${this.live} blocks)`);
      }
    }
  }
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}
