/**
 * Loads a data package that is an optional dependency (Node only). The data packages are large
 * (IMDB's reviews are 64 MB), so installing mpo-lstm as a library does not pull them; when one is
 * missing the error says which package to install.
 */
import { createRequire } from "node:module";
import { MpoLstmError } from "../errors.js";

const require = createRequire(import.meta.url);

/** `require(specifier)` of an optional data package, or a clear error naming the package to install. */
export function requireDataPackage(packageName: string, specifier: string, purpose: string): unknown {
  try {
    return require(specifier);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "MODULE_NOT_FOUND") {
      throw new MpoLstmError("unsupported", `${purpose} needs the npm package "${packageName}", which is not installed: run \`npm install ${packageName}\``);
    }
    throw err;
  }
}
