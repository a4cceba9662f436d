import { test } from "uvu";
import * as assert from "uvu/assert";
import { getBackend } from "../../src/backend/module.js";
import { MpoLstmError } from "../../src/errors.js";

const arena = () => getBackend().arena;

test("blocks are 16-byte aligned, disjoint, and views see the same memory", () => {
  const a = arena().alloc(7 * 4, { longLived: true });
  const b = arena().alloc(33 * 4, { longLived: true });
  assert.is(a.ptr % 16, 0);
  assert.is(b.ptr % 16, 0);
  assert.ok(a.ptr + a.reserved <= b.ptr || b.ptr + b.reserved <= a.ptr);
  a.f32().fill(3);
  b.f32().fill(5);
  assert.is(a.f32().length, 7);
  assert.ok(a.f32().every((v) => v === 3));
  assert.ok(b.f32().every((v) => v === 5));
  arena().release(a);
  arena().release(b);
});

test("100,000 scope cycles leave memory flat", () => {
  const keep = arena().alloc(1024, { longLived: true });
  const before = arena().stats();
  let topAfterFirst = -1;
  let memAfterFirst = -1;
  for (let i = 0; i < 100_000; i++) {
    arena().scope(() => {
      arena().alloc(64 + (i % 7) * 48);
      const inner = arena().alloc(4096);
      arena().scope(() => arena().alloc(100));
      inner.f32()[0] = i;
      arena().alloc(16 + (i % 13) * 16);
    });
    if (i === 0) {
      topAfterFirst = arena().stats().heapTop;
      memAfterFirst = arena().stats().memoryBytes;
    }
  }
  const after = arena().stats();
  assert.is(after.bytesInUse, before.bytesInUse);
  assert.is(after.blocksInUse, before.blocksInUse);
  assert.ok(after.heapTop <= topAfterFirst, `heap top grew from ${topAfterFirst} to ${after.heapTop}`);
  assert.is(after.memoryBytes, memAfterFirst);
  arena().release(keep);
});

test("memory growth refreshes views and keeps contents", () => {
  const a = arena().alloc(16 * 4, { longLived: true });
  a.f32().set(Array.from({ length: 16 }, (_, i) => i));
  const oldView = a.f32();
  const big = arena().alloc(arena().stats().memoryBytes + 65536, { longLived: true });
  const view = a.f32();
  assert.ok(view !== oldView, "a fresh view after growth");
  assert.equal(Array.from(view), Array.from({ length: 16 }, (_, i) => i));
  arena().release(big);
  arena().release(a);
});

test("freed blocks refuse use; double release and out-of-order scopes throw", () => {
  const a = arena().alloc(64, { longLived: true });
  arena().release(a);
  assert.throws(() => a.f32(), (e: unknown) => e instanceof MpoLstmError && e.code === "freed");
  assert.throws(() => arena().release(a), (e: unknown) => e instanceof MpoLstmError && e.code === "freed");
  let escaped = arena().alloc(4, { longLived: true });
  arena().release(escaped);
  arena().scope(() => {
    escaped = arena().alloc(4);
  });
  assert.throws(() => escaped.f32(), /already freed/);
  const outer = arena().openScope();
  const inner = arena().openScope();
  assert.throws(() => arena().closeScope(outer), /innermost/);
  arena().closeScope(inner);
  arena().closeScope(outer);
});

test("keep moves a block out of its scope", () => {
  let kept = arena().alloc(4, { longLived: true });
  arena().release(kept);
  arena().scope(() => {
    kept = arena().keep(arena().alloc(32));
  });
  kept.f32()[0] = 1;
  assert.is(kept.f32()[0], 1);
  arena().release(kept);
});

test("out of memory is a clear error, not a crash", () => {
  assert.throws(() => arena().alloc(5 * 1024 * 1024 * 1024), (e: unknown) => e instanceof MpoLstmError && e.code === "memory" && /out of memory/.test(e.message));
  assert.throws(() => arena().alloc(-1), (e: unknown) => e instanceof MpoLstmError && e.code === "value");
});

test.run();
