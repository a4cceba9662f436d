/**
 * How fit's workers rebuild an experiment's model (see train/parallel.ts): the task's own builder, by task
 * name, for the variant being trained. The weights are overwritten by the fit thread's every step, so
 * only the architecture matters here (a tt-svd variant decomposes a freshly built dense model).
 */
import { MpoLstmError } from "../errors.js";
import type { Replica } from "../train/parallel.js";
import { TASKS } from "./tasks/index.js";
import type { TaskConfig, Variant } from "./types.js";

export interface ExperimentReplicaArgs {
  task: string;
  variant: Variant;
  config: TaskConfig;
  seed: number;
}

export function replica(args: ExperimentReplicaArgs): Replica {
  const task = TASKS[args.task];
  if (!task) throw new MpoLstmError("value", `experiment replica: unknown task "${args.task}"`);
  if (args.variant.method === "tt-svd" && !task.fromDense) throw new MpoLstmError("value", `experiment replica: task ${args.task} has no fromDense for the tt-svd method`);
  const built = args.variant.method === "tt-svd"
    ? task.fromDense!(task.build({ method: "dense" }, args.config, args.seed), args.variant, args.config)
    : task.build(args.variant, args.config, args.seed);
  return { model: built.model, forward: built.forward };
}
