"""Code written for trackio runs unchanged on `import tunestudio as trackio`: trackio's own example scripts
(copied unchanged into trackio_examples/), and the PR #521 agent-harness scenario rewritten with watch() +
should_stop() (seed review S6). The store afterwards holds what a trackio user expects."""
import math
import sys
import unittest
from pathlib import Path

from helpers import StoreTest

EXAMPLES = Path(__file__).parent / "trackio_examples"

# Runs an unchanged trackio script with `trackio` being tunestudio; time.sleep is a no-op so the test is quick.
SHIM = r'''
import runpy, sys, time
import tunestudio
sys.modules["trackio"] = tunestudio
sys.modules["trackio.alerts"] = tunestudio.alerts
time.sleep = lambda s: None
script = sys.argv[1]
sys.argv = [script] + sys.argv[2:]
runpy.run_path(script, run_name="__main__")
'''

HARNESS = r'''
# simulate_training.py (trackio PR #521's agent harness) rewritten as review S6 asks: watchers instead of
# hand-written alert() calls, and the loop ends when should_stop() says so.
import argparse, math, random
import trackio

p = argparse.ArgumentParser()
p.add_argument("--scenario", choices=["healthy", "nan", "diverge", "stagnate"], required=True)
p.add_argument("--project", default="agent-harness")
p.add_argument("--steps", type=int, default=400)
a = p.parse_args()
random.seed(7)
trackio.init(project=a.project, name=f"sim-{a.scenario}", config={"scenario": a.scenario, "lr": 3e-4})
trackio.watch("train/loss", nan=True, max_value=20.0, spike_factor=3.0)
trackio.watch("eval/loss", patience=5, min_delta=0.001)
last = None
for step in range(a.steps):
    loss = 2.5 * math.exp(-step / 60) + 0.1 + random.uniform(-0.01, 0.01)
    if a.scenario == "nan" and step >= 120:
        loss = float("nan")
    if a.scenario == "diverge" and step >= 100:
        loss = 2.0 * 1.08 ** min(step - 100, 5000)
    metrics = {"train/loss": loss}
    if step % 10 == 0:
        ev = loss + 0.05 if a.scenario != "stagnate" or step < 100 else 0.9
        metrics["eval/loss"] = ev
    trackio.log(metrics, step=step)
    last = step
    if trackio.should_stop():
        break
    import time; time.sleep(0.002)
# Only what a watcher cannot model stays an explicit alert: the run's own verdict.
if a.scenario == "healthy":
    trackio.alert("Training looks healthy", text=f"{last + 1} steps", level=trackio.AlertLevel.INFO)
trackio.finish()
print("LAST", last)
'''


class TrackioExamples(StoreTest):
    def example(self, name: str, *args: str):
        return self.python(self.script("shim.py", SHIM), str(EXAMPLES / name), *args, timeout=300)

    def projects(self):
        by = {}
        for r in self.runs():
            by.setdefault(r["project"], []).append(r)
        return by

    def test_fake_training(self):
        self.example("fake-training.py")
        (project, runs), = self.projects().items()
        self.assertTrue(project.startswith("fake-training-"))
        self.assertEqual(sorted(r["name"] for r in runs), [f"test-run-{i}" for i in range(5)])
        self.assertEqual({r["status"] for r in runs}, {"finished"}, "a second init() finishes the previous run")
        show = self.cli_json("show", runs[0]["id"])
        self.assertEqual(show["config"], {"epochs": 20, "learning_rate": 0.001, "batch_size": 32})
        self.assertEqual(set(show["summary"]), {"train/loss", "train/accuracy", "train/rewards/reward1", "train/rewards/reward2", "val/loss", "val/accuracy", "grad_norm"})
        self.assertEqual(show["summary"]["grad_norm"]["count"], 20)
        self.assertEqual(show["summary"]["grad_norm"]["inf_count"], 1, "the first grad_norm is +inf and kept")
        self.assertEqual((show["summary"]["train/loss"]["first_step"], show["summary"]["train/loss"]["last_step"]), (0, 19))

    def test_many_runs(self):
        self.example("fake-training-many-runs.py")
        (runs,) = self.projects().values()
        self.assertEqual(len(runs), 20)
        self.assertEqual({r["status"] for r in runs}, {"finished"})
        self.assertEqual({r["metric_count"] for r in runs}, {7})

    def test_grouped_runs(self):
        self.example("grouped-runs.py")
        (runs,) = self.projects().values()
        self.assertEqual(len(runs), 6)
        groups = {r["name"]: self.cli_json("show", r["id"])["config"]["group"] for r in runs}
        self.assertEqual(groups, {f"{g}-run-{i}": g for g in ("baseline", "augmented", "tuned") for i in (1, 2)})
        show = self.cli_json("show", runs[0]["id"])
        self.assertEqual((show["summary"]["loss"]["first_step"], show["summary"]["loss"]["last_step"], show["summary"]["loss"]["count"]), (0, 11, 12))

    def test_crash_and_resume_same_name_allow_continues_the_run(self):
        r = self.example("crash-and-resume-same-run-name.py", "--resume", "allow", "--crash-steps", "20", "--restart-steps", "30")
        self.assertIn("Restart reused original run id: True", r.stdout)
        (runs,) = self.projects().values()
        self.assertEqual(len(runs), 1)
        show = self.cli_json("show", runs[0]["id"])
        self.assertEqual(show["status"], "finished")
        self.assertEqual(show["config"]["phase"], "restart")
        loss = show["summary"]["loss"]
        self.assertEqual((loss["first_step"], loss["last_step"], loss["count"]), (0, 49, 50), "step=None goes on from the first phase")

    def test_crash_and_resume_never_makes_a_second_run(self):
        r = self.example("crash-and-resume-same-run-name.py", "--resume", "never", "--crash-steps", "5", "--restart-steps", "5")
        self.assertIn("Restart reused original run id: False", r.stdout)
        (runs,) = self.projects().values()
        self.assertEqual([x["name"] for x in runs], ["trainer-job-42", "trainer-job-42"])

    def test_resume_must_without_a_run_fails_clearly(self):
        code = "import tunestudio as trackio\ntrackio.init(project='none', name='ghost', resume='must')\n"
        r = self.python(self.script("must.py", code), check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no run named 'ghost' in project 'none'", r.stderr)

    def test_alerts_example(self):
        r = self.example("alerts.py")
        self.assertIn("init(webhook_min_level=...) has no equivalent", r.stderr)
        (runs,) = self.projects().values()
        alerts = self.cli_json("alerts", "--run", runs[0]["id"])
        got = [(a["title"], a["level"]) for a in alerts]
        self.assertEqual(got[0], ("Run started", "info"))
        self.assertEqual(got[-1], ("Run finished", "info"))
        self.assertIn(("Loss is high", "warn"), got)
        self.assertIn(("Loss spike detected", "error"), got)
        spike = next(a for a in alerts if a["title"] == "Loss spike detected")
        self.assertEqual(spike["step"], None if spike["step"] is None else 14)

    def test_api_example(self):
        self.example("api-example.py")
        runs = self.runs("api_example_project")
        self.assertEqual(sorted(r["name"] for r in runs), ["training_run_1", "training_run_2"], "runs[0] (the oldest) was deleted")
        code = r'''
import math, tunestudio as trackio
api = trackio.Api()
runs = api.runs("api_example_project")
r = runs[0]
print(len(runs), r.name, r.status, sorted(r.metrics()))
print(r.final_metrics())
print([p["step"] for p in r.history("loss")], [round(p["value"], 3) for p in r.history("loss")])
print(api.alerts("api_example_project"))
'''
        out = self.python(self.script("read.py", code)).stdout.splitlines()
        self.assertEqual(out[0], "2 training_run_1 finished ['accuracy', 'loss']")
        self.assertEqual(out[1], "{'accuracy': 0.9, 'loss': 0.2}")
        self.assertEqual(out[2], "[0, 1, 2, 3, 4] [1.0, 0.5, 0.333, 0.25, 0.2]")
        self.assertEqual(out[3], "[]")


class AgentHarness(StoreTest):
    def sim(self, scenario: str):
        h = self.script("simulate_training.py", HARNESS)
        # A run that goes bad trains on until a watcher stops it (the bound only keeps a broken test finite).
        steps = "400" if scenario == "healthy" else "1000000"
        r = self.python(self.script("shim.py", SHIM.replace("time.sleep = lambda s: None", "")), str(h), "--scenario", scenario, "--steps", steps)
        last = int(r.stdout.split("LAST")[-1])
        run = next(x for x in self.runs("agent-harness") if x["name"] == f"sim-{scenario}")
        return last, self.cli_json("show", run["id"]), self.cli_json("alerts", "--run", run["id"])

    def test_scenarios(self):
        last, show, alerts = self.sim("healthy")
        self.assertEqual((last, show["status"]), (399, "finished"))
        self.assertEqual([a["reason"] for a in alerts], ["custom"])

        last, show, alerts = self.sim("nan")
        self.assertEqual(show["status"], "stopped")
        self.assertGreaterEqual(last, 120)
        self.assertIn(("nan", 120), [(a["reason"], a["step"]) for a in alerts])

        last, show, alerts = self.sim("diverge")
        self.assertEqual(show["status"], "stopped")
        above = [a for a in alerts if a["reason"] == "above_max"]
        self.assertEqual(len(above), 1)
        self.assertGreater(show["summary"]["train/loss"]["max"], 20.0)

        last, show, alerts = self.sim("stagnate")
        self.assertEqual(show["status"], "stopped")
        self.assertEqual([a["metric"] for a in alerts if a["reason"] == "stagnation"], ["eval/loss"])


if __name__ == "__main__":
    unittest.main()
