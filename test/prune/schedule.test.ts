import { test } from "uvu";
import * as assert from "uvu/assert";
import { CubicSparsitySchedule } from "../../src/prune/schedule.js";
import { MpoLstmError } from "../../src/errors.js";

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test("cubic schedule follows Zhu and Gupta's formula at each pruning step", () => {
  const s = new CubicSparsitySchedule({ initialSparsity: 0.1, finalSparsity: 0.9, start: 10, end: 40, frequency: 10 });
  assert.equal(s.pruningSteps(), [10, 20, 30, 40]);
  // s_t = s_f + (s_i - s_f)(1 - (t - t0)/(n dt))^3 with n dt = 30, written out by hand.
  close(s.sparsityAt(10), 0.1, "t0");
  close(s.sparsityAt(20), 0.9 - 0.8 * (2 / 3) ** 3, "t0 + dt");
  close(s.sparsityAt(30), 0.9 - 0.8 * (1 / 3) ** 3, "t0 + 2dt");
  close(s.sparsityAt(40), 0.9, "end");
  close(s.sparsityAt(29), s.sparsityAt(20), "held between pruning steps");
  assert.is(s.sparsityAt(9), 0);
  assert.is(s.sparsityAt(0), 0);
  assert.is(s.sparsityAt(1000), 0.9);
  for (let t = 0; t <= 50; t++) assert.is(s.isPruningStep(t), [10, 20, 30, 40].includes(t), `step ${t}`);
  let last = 0;
  for (let t = 0; t <= 50; t++) {
    assert.ok(s.sparsityAt(t) >= last, "non-decreasing");
    last = s.sparsityAt(t);
  }
});

test("an end that is not on the grid is a pruning step; end = start prunes once to the final sparsity", () => {
  const s = new CubicSparsitySchedule({ finalSparsity: 0.5, start: 0, end: 25, frequency: 10 });
  assert.equal(s.pruningSteps(), [0, 10, 20, 25]);
  close(s.sparsityAt(20), 0.5 - 0.5 * (1 - 20 / 25) ** 3, "t = 20");
  close(s.sparsityAt(25), 0.5, "end");
  const once = new CubicSparsitySchedule({ finalSparsity: 0.8, start: 7, end: 7, frequency: 3 });
  assert.equal(once.pruningSteps(), [7]);
  assert.is(once.sparsityAt(6), 0);
  assert.is(once.sparsityAt(7), 0.8);
});

test("bad schedules are clear MpoLstmErrors", () => {
  const bad = (o: object, re: RegExp) => assert.throws(() => new CubicSparsitySchedule({ finalSparsity: 0.5, start: 0, end: 10, frequency: 1, ...o }), (e: unknown) => e instanceof MpoLstmError && e.code === "value" && re.test(e.message));
  bad({ start: 20, end: 10 }, /end step 10 is before start step 20/);
  bad({ finalSparsity: 1 }, /finalSparsity must be in \[0, 1\)/);
  bad({ initialSparsity: -0.1 }, /initialSparsity must be in \[0, 1\)/);
  bad({ initialSparsity: 0.6 }, /exceeds finalSparsity/);
  bad({ frequency: 0 }, /frequency/);
  bad({ frequency: 1.5 }, /frequency/);
  bad({ start: -1 }, /start must be a non-negative integer/);
});

test.run();
