/** What one cell of the runtime matrix produced: the app's JSON, or why it did not run. */
export type Outcome =
  | { kind: "ran"; value: Record<string, unknown> }
  | { kind: "failed"; error: string }
  | { kind: "cannot-run"; reason: string };

export async function settle(fn: () => Promise<Record<string, unknown>>): Promise<Outcome> {
  try {
    return { kind: "ran", value: await fn() };
  } catch (err) {
    if (err instanceof CannotRun) return { kind: "cannot-run", reason: err.message };
    return { kind: "failed", error: err instanceof Error ? err.stack ?? err.message : String(err) };
  }
}

/** Thrown where a runtime's binary does not start on this machine (the only reason a cell may skip). */
export class CannotRun extends Error {}
