// Ships the raw module as dist/kernels.wasm (the "./kernels.wasm" export) for those who serve it themselves.
import { copyFileSync, chmodSync, existsSync } from "node:fs";

copyFileSync(new URL("../build/kernels.wasm", import.meta.url), new URL("../dist/kernels.wasm", import.meta.url));
const cli = new URL("../dist/cli/main.js", import.meta.url);
if (existsSync(cli)) chmodSync(cli, 0o755);
