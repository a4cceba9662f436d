/**
 * load(Response) counts the body while it streams and cancels it past maxFileBytes, whatever the
 * Content-Length says (absent, or false). The bodies here are endless streams that count what was pulled.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MpoLstmError } from "../../src/errors.js";
import { load, save } from "../../src/io/model-file.js";
import { Linear } from "../../src/nn/linear.js";
import { manualSeed } from "../../src/nn/init.js";

const CHUNK = 64 * 1024;

/** An endless body of CHUNK-byte chunks that records how many bytes were pulled and whether it was cancelled. */
function endlessBody(): { stream: ReadableStream<Uint8Array>; pulled: () => number; cancelled: () => boolean } {
  let pulled = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += CHUNK;
      controller.enqueue(new Uint8Array(CHUNK));
    },
    cancel() {
      cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, pulled: () => pulled, cancelled: () => cancelled };
}

/** A body that streams `bytes` in small chunks. */
function chunkedBody(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

for (const [label, headers] of [["no Content-Length", {}], ["a false Content-Length", { "content-length": "1000" }]] as const) {
  test(`a streamed body with ${label} is cancelled once it passes maxFileBytes`, async () => {
    const limit = 1_000_000;
    const body = endlessBody();
    try {
      await load(new Response(body.stream, { headers }), { maxFileBytes: limit });
      assert.unreachable("an endless body loaded");
    } catch (e) {
      if (!(e instanceof MpoLstmError)) throw e;
      assert.is(e.code, "format");
      assert.match(e.message, /maxFileBytes/);
    }
    assert.ok(body.pulled() <= limit + 4 * CHUNK, `${body.pulled()} bytes pulled for a limit of ${limit}`);
    assert.ok(body.cancelled(), "the stream was not cancelled");
  });
}

test("a model streamed in small chunks loads exactly; a limit below its size refuses it", async () => {
  manualSeed(2);
  const lin = new Linear(7, 3);
  const bytes = save(lin);
  const back = await load(new Response(chunkedBody(bytes, 13)));
  assert.equal(back.namedParameters().map(([, p]) => [...p.data()]), lin.namedParameters().map(([, p]) => [...p.data()]));
  back.dispose?.();
  try {
    await load(new Response(chunkedBody(bytes, 13)), { maxFileBytes: bytes.length - 1 });
    assert.unreachable("loaded past the limit");
  } catch (e) {
    assert.instance(e, MpoLstmError);
  }
  const exact = await load(new Response(chunkedBody(bytes, 13)), { maxFileBytes: bytes.length });
  exact.dispose?.();
  lin.dispose();
});

test.run();
