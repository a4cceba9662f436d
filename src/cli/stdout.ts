/**
 * The CLI's output, written synchronously with fs.writeSync so that a closed pipe is noticed at once.
 *
 * Why not process.stdout: on a pipe its write errors (EPIPE, when `| head -1` has exited) arrive as an
 * 'error' event, which runs only once the event loop turns; training is one synchronous loop, so the
 * event would wait until the whole experiment had run on unseen. writeSync throws EPIPE from the write
 * itself (Node ignores SIGPIPE), and the command ends there, exit status 0, like any Unix filter whose
 * reader has gone.
 */
import { writeSync } from "node:fs";
import type { ProgressWriter } from "../train/progress.js";

/** A writer to file descriptor `fd` that ends the process when the reader has gone. */
export function syncWriter(fd: number, tty: { isTTY?: boolean; columns?: number } = {}): ProgressWriter & { write(s: string): true } {
  return {
    isTTY: tty.isTTY === true,
    get columns() {
      return tty.columns;
    },
    write(text: string): true {
      const bytes = Buffer.from(text, "utf8");
      let at = 0;
      while (at < bytes.length) {
        try {
          at += writeSync(fd, bytes, at, bytes.length - at);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === "EAGAIN") continue; // a non-blocking pipe is full: wait for the reader
          if (code === "EPIPE") process.exit(0); // the reader has gone: nothing left to do
          throw e;
        }
      }
      return true;
    },
  };
}
