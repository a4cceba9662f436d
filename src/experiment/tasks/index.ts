/** The experiment tasks by name. */
import type { Task, TaskConfig } from "../types.js";
import { fc2Task } from "./fc2.js";
import { imdbTask } from "./imdb.js";
import { mobyDickTask } from "./moby-dick.js";
import { smnistTask } from "./smnist.js";
import { textTask } from "./text.js";

export const TASKS: Readonly<Record<string, Task<TaskConfig>>> = {
  imdb: imdbTask as unknown as Task<TaskConfig>,
  smnist: smnistTask as unknown as Task<TaskConfig>,
  "moby-dick": mobyDickTask as unknown as Task<TaskConfig>,
  fc2: fc2Task as unknown as Task<TaskConfig>,
  text: textTask as unknown as Task<TaskConfig>,
};

/** What `mpo-lstm experiment quick` (and `npm start`) runs: real data, a few minutes on 2 cores. */
export const QUICK_TASKS = ["smnist", "imdb"] as const;
