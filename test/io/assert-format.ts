import * as assert from "uvu/assert";
import { MpoLstmError } from "../../src/errors.js";

/** Asserts that `fn` throws the package's "format" error with a message matching `pattern`. */
export function formatError(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, MpoLstmError, String(e));
    assert.is((e as MpoLstmError).code, "format", (e as Error).message);
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a format error matching ${pattern}`);
}
