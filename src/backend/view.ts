/**
 * Views: a Block that names a range inside another block (one time step of a sequence buffer), so kernels
 * can work on slices without copies. A view is never allocated or released by the arena; it is live
 * exactly while its parent is, and its bounds are checked when it is made.
 */
import { MpoLstmError } from "../errors.js";
import { Block } from "./arena.js";

export class BlockView extends Block {
  readonly parent: Block;

  constructor(parent: Block, offsetElements: number, elements: number) {
    parent.assertLive("view parent");
    if (!Number.isInteger(offsetElements) || !Number.isInteger(elements) || offsetElements < 0 || elements < 0 || (offsetElements + elements) * 4 > parent.bytes) {
      throw new MpoLstmError("shape", `view: elements [${offsetElements}, ${offsetElements + elements}) are outside a block of ${parent.bytes >>> 2} elements`);
    }
    super(parent.arena, parent.ptr + offsetElements * 4, elements * 4, elements * 4, null);
    this.parent = parent;
  }

  override get freed(): boolean {
    return this.parent.freed;
  }

  override assertLive(what = "view"): void {
    this.parent.assertLive(what);
  }
}

/** `elements` float32 (or int32) values of `block` starting at element `offset`. */
export function view(block: Block, offset: number, elements: number): Block {
  if (offset < 0 || (offset + elements) * 4 > block.bytes) throw new MpoLstmError("shape", `view: elements [${offset}, ${offset + elements}) are outside a block of ${block.bytes >>> 2} elements`);
  const root = block instanceof BlockView ? block.parent : block;
  const base = block instanceof BlockView ? (block.ptr - root.ptr) >>> 2 : 0;
  return new BlockView(root, base + offset, elements);
}
