/** The replica factory the parallel fit tests hand to workers (a module a worker can import by URL). */
import { Random } from "../../src/random.js";
import type { Replica } from "../../src/train/parallel.js";
import { Classifier } from "../util/parity-task.js";

export interface ClassifierArgs {
  seed: number;
  inputSize: number;
  hidden: number;
  classes: number;
}

export function replica(args: ClassifierArgs): Replica {
  return { model: new Classifier(new Random(args.seed), args.inputSize, args.hidden, args.classes) };
}

/** A replica whose construction throws, to check that the error reaches fit and no worker stays. */
export function broken(): Replica {
  throw new Error("this replica factory always fails");
}
