"""The shared watcher vectors (test/fixtures/watcher-vectors.json, also run by test/unit/tracking/vectors.test.ts)
through the Python client: watch() + log() in a real Python run, the rules applied by the real runtime
(follower), then the stored alerts, should_stop() and the run's status."""
import json
import unittest
from pathlib import Path

from helpers import StoreTest

FILE = Path(__file__).resolve().parents[1] / "fixtures" / "watcher-vectors.json"

SCRIPT = r'''
import json, math, sys, time
import tunestudio as ts
vectors = json.load(open(sys.argv[1]))["vectors"]
num = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
result = {}
for i, v in enumerate(vectors):
    run = ts.init(project="vectors", name=f"v{i}")
    ts.watch("m", **v["watch"])
    for step, x in enumerate(v["values"]):
        ts.log({"m": num.get(x, x)}, step=step)
    stopped = False
    if v["stops"]:
        deadline = time.monotonic() + 60  # bounded: a broken rule fails the test instead of hanging it
        while not stopped and time.monotonic() < deadline:
            stopped = ts.should_stop()
            time.sleep(0.01)
    result[run.id] = {"i": i, "should_stop": stopped}
    ts.finish()
print(json.dumps(result))
'''


class Vectors(StoreTest):
    def test_shared_watcher_vectors_through_the_runtime(self):
        vectors = json.loads(FILE.read_text())["vectors"]
        r = self.python(self.script("vectors.py", SCRIPT), str(FILE), timeout=600)
        result = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertEqual(len(result), len(vectors))
        for run_id, res in result.items():
            v = vectors[res["i"]]
            with self.subTest(v["name"]):
                alerts = self.cli_json("alerts", "--run", run_id)
                got = [{"reason": a["reason"], "step": a["step"], "count": a["data"].get("count", 1), "ended": a["data"].get("ended") is True} for a in alerts]
                self.assertEqual(got, v["alerts"])
                self.assertEqual(res["should_stop"], v["stops"])
                self.assertEqual(self.cli_json("show", run_id)["status"], "stopped" if v["stops"] else "finished")


if __name__ == "__main__":
    unittest.main()
