"""The Python client end to end: real Python (PyTorch where installed), the real follower and CLI, a real store."""
import json
import math
import os
import signal
import sys
import unittest
from collections import Counter

from helpers import NODE, CLI_JS, StoreTest, wait_for

try:
    import torch  # noqa: F401

    HAS_TORCH = True
except ImportError:
    HAS_TORCH = False

TORCH_LOOP = r'''
import math, sys, torch
import tunestudio as ts

torch.manual_seed(0)
model = torch.nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.randn(64, 4)
y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
run = ts.init(project="torch", name="tiny", config={"lr": 0.05, "model": "linear"})
ts.watch("train/loss", nan=True, spike_factor=5.0, window=5)
stopped_at = None
for step in range(100000):
    loss = torch.nn.functional.mse_loss(model(x), y)
    if step >= 40:
        loss = loss * float("nan")  # the run goes bad: every later loss is NaN
    opt.zero_grad()
    loss.backward()
    opt.step()
    ts.log({"train/loss": loss, "train/lr": torch.tensor(0.05), "train/step_np": step}, step=step)
    if ts.should_stop():
        stopped_at = step
        break
ts.finish()
print(json.dumps({"id": run.id, "stopped_at": stopped_at})) if False else print("RESULT", run.id, stopped_at)
'''


class TorchLoop(StoreTest):
    @unittest.skipUnless(HAS_TORCH, "PyTorch is not installed for this Python (Debian: apt-get install python3-torch)")
    def test_real_pytorch_loop_is_watched_and_stops_on_nan(self):
        r = self.python(self.script("train.py", TORCH_LOOP))
        _, run_id, stopped_at = r.stdout.strip().splitlines()[-1].split()
        stopped_at = int(stopped_at)
        self.assertGreaterEqual(stopped_at, 40, "the loop stops only after the loss went NaN")
        show = self.cli_json("show", run_id)
        self.assertEqual(show["status"], "stopped")
        self.assertIn("NaN", show["reason"])
        self.assertEqual(show["config"]["lr"], 0.05)
        loss = show["summary"]["train/loss"]
        self.assertEqual(loss["count"], stopped_at + 1, "every logged step is stored once")
        self.assertEqual(loss["nan_count"], stopped_at + 1 - 40)
        self.assertAlmostEqual(show["summary"]["train/lr"]["last"], 0.05, places=6, msg="0-d tensors are logged through .item()")
        alerts = self.cli_json("alerts", "--run", run_id)
        nan = [a for a in alerts if a["reason"] == "nan"]
        self.assertEqual(len(nan), 1, "one NaN episode, one alert")
        self.assertEqual(nan[0]["step"], 40)


COUNTING = r'''
import sys, math
import tunestudio as ts
n = int(sys.argv[1])
ts.init(project="modes", name=sys.argv[2], config={"n": n})
for i in range(n):
    ts.log({"a": i * 0.5, "b": -i, "c": math.inf if i == 3 else i / 7}, step=i)
ts.finish()
'''


class Modes(StoreTest):
    def test_supervised_and_unsupervised_store_the_same_points_exactly_once(self):
        s = self.script("count.py", COUNTING)
        self.python(s, "300", "direct")
        r = self.cli("run", "--project", "modes", "--name", "supervised", "--", sys.executable, str(s), "300", "supervised")
        self.assertEqual(r.returncode, 0, r.stderr)
        runs = {x["name"]: x for x in self.runs("modes")}
        self.assertEqual(set(runs), {"direct", "supervised"})
        self.assertEqual(runs["direct"]["status"], "finished")
        self.assertEqual(runs["supervised"]["status"], "finished")

        def key(p):
            return (p["step"], p["metric"], str(p["value"]))

        a = [key(p) for p in self.points(runs["direct"]["id"])]
        # A job also gets system/… metrics of its process tree: those are not the script's points.
        b = [key(p) for p in self.points(runs["supervised"]["id"]) if not p["metric"].startswith("system/")]
        self.assertEqual(len(a), 900)
        self.assertEqual(Counter(a), Counter(b))
        self.assertEqual(max(Counter(a).values()), 1, "no point twice")
        self.assertIn((3, "c", "Infinity"), set(a), "+Inf is kept")

    def test_supervised_should_stop_reads_the_jobs_control_channel(self):
        code = r"""
import math, time, tunestudio as ts
ts.init(project="sup", name="ignored-under-a-job", config={"k": 1})
ts.watch("loss", nan=True)
i = 0
while not ts.should_stop() and i < 100000:
    ts.log({"loss": math.nan if i >= 10 else 1.0}, step=i)
    i += 1
    time.sleep(0.005)
print("STOPPED AT", i, "BY", ts.run.stop_reason)
ts.finish()
"""
        r = self.cli("run", "--project", "sup", "--name", "job", "--grace", "30", "--", sys.executable, str(self.script("sup.py", code)), check=False)
        self.assertIn("STOPPED AT", r.stdout)
        run = self.runs("sup")[0]
        show = self.cli_json("show", run["id"])
        self.assertEqual(show["status"], "stopped")
        self.assertEqual(show["config"]["k"], 1)
        self.assertEqual(show["exit_code"], 0, "the script stopped itself through should_stop(), before any SIGTERM")

    def test_no_node_the_run_file_waits_and_is_read_later(self):
        env = dict(self.env, PATH=str(self.tmp))  # no node, no tunestudio
        env.pop("TUNESTUDIO_NODE")
        env.pop("TUNESTUDIO_CLI")
        r = self.python(self.script("count.py", COUNTING), "50", "offline", env=env)
        self.assertIn("Nothing is lost", r.stderr)
        self.assertEqual(r.stderr.count("Nothing is lost"), 1, "said once")
        files = list((self.store / "runfiles").glob("*.log"))
        self.assertEqual(len(files), 1)
        self.cli("follow")  # what VS Code does when it opens the store
        run = self.runs("modes")[0]
        self.assertEqual(run["status"], "finished")
        self.assertEqual(len(self.points(run["id"])), 150)
        self.assertEqual(list((self.store / "runfiles").glob("*.log")), [], "a settled run file is removed")


HANG = r'''
import sys, time
import tunestudio as ts
run = ts.init(project="crash", name=sys.argv[1])
for i in range(200):
    ts.log({"x": i}, step=i)
    if i % 50 == 0:
        ts.should_stop()
print(run.id, flush=True)
ts._current._sink.flush()
while True:
    time.sleep(0.05)  # a trainer stuck in a step: killed from outside
'''


class Crash(StoreTest):
    def test_kill_9_of_the_python_process_marks_the_run_crashed(self):
        p = self.spawn([sys.executable, str(self.script("hang.py", HANG)), "victim"])
        run_id = p.stdout.readline().strip()
        wait_for(lambda: self.runs("crash") and self.cli_json("show", run_id)["summary"].get("x", {}).get("count") == 200, "all 200 points in the store")
        self.assertEqual(self.cli_json("show", run_id)["status"], "running")
        p.send_signal(signal.SIGKILL)
        p.wait()
        show = wait_for(lambda: (lambda s: s if s["status"] != "running" else None)(self.cli_json("show", run_id)), "the run to end")
        self.assertEqual(show["status"], "crashed")
        self.assertIn("without finish()", show["reason"])
        self.assertEqual(show["summary"]["x"]["count"], 200)
        self.assertTrue(any(a["reason"] == "crashed" for a in self.cli_json("alerts", "--run", run_id)))

    def test_exit_without_finish_is_failed_and_an_exception_says_so(self):
        self.python(self.script("nofinish.py", "import tunestudio as ts\nts.init(project='x', name='quiet')\nts.log({'a': 1})\n"))
        code = "import tunestudio as ts\nts.init(project='x', name='boom')\nts.log({'a': 1})\nraise ValueError('bad batch')\n"
        r = self.python(self.script("boom.py", code), check=False)
        self.assertNotEqual(r.returncode, 0)
        runs = wait_for(lambda: (lambda rs: rs if len(rs) == 2 and all(x["status"] != "running" for x in rs.values()) else None)({x["name"]: x for x in self.runs("x")}), "both runs settled")
        self.assertEqual(runs["quiet"]["status"], "failed")
        self.assertEqual(runs["quiet"]["reason"], "exited without finish()")
        self.assertEqual(runs["boom"]["status"], "failed")
        self.assertIn("ValueError: bad batch", runs["boom"]["reason"])

    def test_a_forked_worker_that_exits_or_is_terminated_does_not_end_the_run(self):
        code = r"""
import os, signal, time, tunestudio as ts
r = ts.init(project="fork", name="parent")
ts.log({"a": 1}, step=0)
for how in ("exit", "term"):
    pid = os.fork()
    if pid == 0:  # a DataLoader-style worker
        if how == "term":
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        raise SystemExit(0)  # runs atexit in the child
    os.waitpid(pid, 0)
ts.log({"a": 2}, step=1)
ts.finish()
print(r.id)
"""
        run_id = self.python(self.script("fork.py", code)).stdout.strip()
        show = self.cli_json("show", run_id)
        self.assertEqual(show["status"], "finished")
        self.assertEqual(show["summary"]["a"]["count"], 2)

    def test_sigterm_is_failed_with_the_signal(self):
        code = "import time, tunestudio as ts\nr = ts.init(project='t', name='term')\nts.log({'a': 1})\nprint(r.id, flush=True)\nwhile True: time.sleep(0.05)\n"
        p = self.spawn([sys.executable, str(self.script("term.py", code))])
        run_id = p.stdout.readline().strip()
        p.send_signal(signal.SIGTERM)
        p.wait()
        show = wait_for(lambda: (lambda s: s if s["status"] != "running" else None)(self.cli_json("show", run_id)), "the run to end")
        self.assertEqual(show["status"], "failed")
        self.assertEqual(show["signal"], "SIGTERM")


STEADY = r'''
import sys, time
import tunestudio as ts
n = int(sys.argv[1])
run = ts.init(project="steady", name="s")
print(run.id, flush=True)
for i in range(n):
    ts.log({"x": i, "y": -i}, step=i)
    if i % 20 == 0:
        ts.should_stop()
        time.sleep(0.01)  # a training step
ts.finish()
'''


class FollowerKilled(StoreTest):
    def test_follower_sigkill_mid_run_every_point_exactly_once(self):
        n = 20000
        p = self.spawn([sys.executable, str(self.script("steady.py", STEADY)), str(n)])
        run_id = p.stdout.readline().strip()
        killed = 0
        for _ in range(3):
            # Kill the follower while it is ingesting (some points stored, not all): the client starts another.
            pid = wait_for(lambda: self.follower_pid() or p.poll() is not None, "a follower")
            if p.poll() is not None:
                break
            wait_for(lambda: 0 < (self.cli_json("show", run_id)["summary"].get("x", {}).get("count") or 0), "some points stored", timeout=60)
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
            wait_for(lambda: self.follower_pid() not in (None, pid) or p.poll() is not None, "another follower", timeout=60)
        self.assertEqual(p.wait(timeout=300), 0, p.stderr.read())
        self.assertGreaterEqual(killed, 1)
        if list((self.store / "runfiles").glob("*.log")):
            self.cli("follow")  # the client gave up waiting: what VS Code does on opening the store
        pts = self.points(run_id)
        c = Counter((q["metric"], q["step"]) for q in pts)
        self.assertEqual(len(c), 2 * n, "every point is stored")
        self.assertEqual(max(c.values()), 1, "no point is stored twice")
        self.assertEqual(self.cli_json("show", run_id)["status"], "finished")


class Validation(StoreTest):
    def test_watch_is_checked_eagerly(self):
        code = r'''
import tunestudio as ts
ts.init(project="v", name="v")
bad = [dict(mode="MIN", patience=3), dict(fn=lambda v: v), dict(spike_factor=1.0), dict(window=3), dict(min_value=2, max_value=1), dict(nan="yes"), dict(bogus=1) ]
for b in bad:
    try:
        ts.watch("loss", **b)
        print("ACCEPTED", b)
    except (ValueError, TypeError) as e:
        print("REFUSED", str(e))
ts.watch("loss", fn=lambda value, step: None)
ts.watch("loss", patience=3, mode="max", min_delta=0.1)
ts.finish()
'''
        r = self.python(self.script("v.py", code))
        self.assertNotIn("ACCEPTED", r.stdout)
        self.assertEqual(r.stdout.count("REFUSED"), 6 if "bogus" not in r.stdout else 7)
        self.assertIn("'mode' must be 'min' or 'max'", r.stdout)
        self.assertIn("fn(value, step)", r.stdout)

    def test_bad_values_are_counted_not_fatal(self):
        code = "import tunestudio as ts\nr = ts.init(project='b', name='b')\nts.log({'ok': 1.5, 'text': 'hello', 'obj': object()}, step=0)\nts.finish()\n"
        self.python(self.script("b.py", code))
        run = self.runs("b")[0]
        self.assertEqual(run["rejected_values"], 2)
        self.assertEqual(run["status"], "finished")

    def test_numpy_scalars_odd_keys_and_mappings_are_logged(self):
        code = r"""
import types, tunestudio as ts
try:
    import numpy as np
    a, b = np.float32(1.5), np.int64(3)
except ImportError:
    a, b = 1.5, 3
r = ts.init(project="n", name="n")
ts.log({"a": a, "b": b, 7: 2.0, ("x", 1): 4.0}, step=0)
ts.log(types.MappingProxyType({"a": 2.5}), step=1)
ts.finish()
print(r.id)
"""
        run_id = self.python(self.script("n.py", code)).stdout.strip()
        summary = self.cli_json("show", run_id)["summary"]
        self.assertEqual({k: v["last"] for k, v in summary.items()}, {"a": 2.5, "b": 3, "7": 2.0, "('x', 1)": 4.0})

    def test_custom_fn_watcher_runs_in_python_and_stops(self):
        code = r'''
import tunestudio as ts
ts.init(project="c", name="c")
ts.watch("acc", fn=lambda value, step: {"title": "accuracy collapsed", "stop": True} if value < 0.1 else None)
for i, v in enumerate([0.5, 0.6, 0.05, 0.04, 0.7]):
    ts.log({"acc": v}, step=i)
print("STOP", ts.should_stop())
ts.finish()
'''
        r = self.python(self.script("c.py", code))
        self.assertIn("STOP True", r.stdout)
        run = self.runs("c")[0]
        self.assertEqual(run["status"], "stopped")
        alerts = self.cli_json("alerts", "--run", run["id"])
        self.assertEqual([(a["title"], a["reason"], a["step"]) for a in alerts], [("accuracy collapsed", "custom", 2)])

    def test_tunestudio_stop_reaches_should_stop(self):
        code = "import time, tunestudio as ts\nr = ts.init(project='s', name='s')\nprint(r.id, flush=True)\ni = 0\nwhile not ts.should_stop():\n    ts.log({'x': i}); i += 1; time.sleep(0.01)\nprint('STOPPED', flush=True)\nts.finish()\n"
        p = self.spawn([sys.executable, str(self.script("s.py", code))])
        run_id = p.stdout.readline().strip()
        wait_for(lambda: self.runs("s"), "the run in the store")
        self.cli("stop", run_id, "--reason", "enough")
        self.assertEqual(p.stdout.readline().strip(), "STOPPED")
        self.assertEqual(p.wait(timeout=60), 0)
        show = self.cli_json("show", run_id)
        self.assertEqual(show["status"], "stopped")
        self.assertIn("enough", show["reason"])


if __name__ == "__main__":
    unittest.main()
