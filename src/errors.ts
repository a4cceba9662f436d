/**
 * The package's one error type. `code` is stable and machine-readable; the message says what was wrong,
 * with the shapes or values involved, and how to fix the call.
 */
export type ErrorCode =
  | "shape"
  | "value"
  | "nonfinite"
  | "memory"
  | "freed"
  | "state"
  | "format"
  | "unsupported";

export class MpoLstmError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "MpoLstmError";
    this.code = code;
  }
}

/** Throws a `code` error with `message` unless `condition` holds. */
export function check(condition: boolean, code: ErrorCode, message: () => string): asserts condition {
  if (!condition) throw new MpoLstmError(code, message());
}
