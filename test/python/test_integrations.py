"""The Hugging Face callback and the Lightning logger against stand-ins with the documented signatures
(transformers and Lightning are not installed here), and the wandb-style face — all into a real store."""
import sys
import unittest

from helpers import StoreTest

HF = r'''
import sys, types, json
sys.path.insert(0, sys.argv[1])
from tunestudio.integrations import TuneStudioCallback
import tunestudio as ts

class TrainingArguments:                      # transformers.TrainingArguments: to_dict(), output_dir, run_name
    output_dir = "out"; run_name = "hf-run"; learning_rate = 5e-5
    def to_dict(self): return {"output_dir": self.output_dir, "learning_rate": self.learning_rate, "num_train_epochs": 3}
class TrainerState:                           # transformers.TrainerState
    def __init__(self): self.global_step = 0; self.epoch = 0.0; self.is_world_process_zero = True; self.best_metric = None
class TrainerControl:                         # transformers.TrainerControl
    should_training_stop = False
class Model:
    class config:
        @staticmethod
        def to_dict(): return {"model_type": "gpt2", "n_layer": 2}

args, state, control, cb = TrainingArguments(), TrainerState(), TrainerControl(), TuneStudioCallback(project="hf", watch={"train/loss": {"max_value": 5.0}})
# The event order of Trainer.train(): every callback gets (args, state, control, **kwargs)
cb.on_init_end(args, state, control)
cb.on_train_begin(args, state, control, model=Model())
stopped_at = None
for step in range(1, 400):
    state.global_step = step
    cb.on_step_begin(args, state, control)
    cb.on_step_end(args, state, control)
    cb.on_log(args, state, control, logs={"loss": 2.0 if step < 20 else 9.0, "learning_rate": 5e-5, "epoch": step / 100})
    if step % 10 == 0:
        cb.on_evaluate(args, state, control, metrics={"eval_loss": 1.5})
        cb.on_log(args, state, control, logs={"eval_loss": 1.5, "eval_runtime": 0.1, "epoch": step / 100})
        cb.on_save(args, state, control)
    if control.should_training_stop:
        stopped_at = step
        break
    import time; time.sleep(0.01)
cb.on_train_end(args, state, control)
print("RESULT", cb.run.id, stopped_at)
'''

LIGHTNING = r'''
import sys, argparse
sys.path.insert(0, sys.argv[1])
from tunestudio.integrations import TuneStudioLogger
lg = TuneStudioLogger(project="lightning")
# What lightning.Trainer calls on its logger (Logger API): log_hyperparams, log_metrics(metrics, step), save, after_save_checkpoint, finalize(status)
lg.log_hyperparams(argparse.Namespace(lr=0.01, layers=2))
for step in range(5):
    lg.log_metrics({"train_loss": 1.0 / (step + 1), "epoch": 0}, step=step)
class ModelCheckpoint: last_model_path = "ckpt/last.ckpt"; best_model_path = "ckpt/best.ckpt"; best_model_score = 0.2
lg.after_save_checkpoint(ModelCheckpoint())
lg.save()
print("RESULT", lg.version, lg.name)
lg.finalize("success")
'''

WANDB = r'''
import tunestudio.wandb as wandb
run = wandb.init(project="wb", name="w", config={"lr": 0.1}, entity="me", tags=["a"])
wandb.config.update({"batch": 8})
wandb.config["layers"] = 4
for i in range(3):
    wandb.log({"loss": 1.0 / (i + 1)})
wandb.summary["best"] = 0.33
wandb.alert(title="done soon", text="three steps", level="WARN")
wandb.finish()
print("RESULT", run.id)
'''


class Integrations(StoreTest):
    def test_hf_callback_logs_config_metrics_checkpoints_and_stops_training(self):
        r = self.python(self.script("hf.py", HF), str(self.tmp))
        run_id, stopped_at = r.stdout.split("RESULT")[-1].split()
        show = self.cli_json("show", run_id)
        self.assertEqual(show["name"], "hf-run")
        self.assertEqual(show["config"]["learning_rate"], 5e-5)
        self.assertEqual(show["config"]["model_config"]["model_type"], "gpt2")
        self.assertEqual(set(show["summary"]), {"train/loss", "train/learning_rate", "train/epoch", "eval/loss", "eval/runtime"})
        self.assertNotEqual(stopped_at, "None", "max_value on train/loss set control.should_training_stop")
        self.assertGreaterEqual(int(stopped_at), 20)
        self.assertEqual(show["status"], "stopped")
        self.assertEqual(show["summary"]["train/loss"]["first_step"], 1, "steps are state.global_step")
        self.assertTrue(any(a["path"] == "out/checkpoint-10" and a["step"] == 10 for a in show["artifacts"]))

    def test_lightning_logger(self):
        r = self.python(self.script("pl.py", LIGHTNING), str(self.tmp))
        run_id, name = r.stdout.split("RESULT")[-1].split()
        self.assertEqual(name, "lightning")
        show = self.cli_json("show", run_id)
        self.assertEqual(show["status"], "finished")
        self.assertEqual(show["config"], {"lr": 0.01, "layers": 2})
        self.assertEqual(show["summary"]["train_loss"]["count"], 5)
        self.assertEqual(show["summary"]["train_loss"]["last_step"], 4)
        self.assertEqual(show["artifacts"][0]["path"], "ckpt/last.ckpt")

    def test_lightning_finalize_failed(self):
        code = "import tunestudio\nfrom tunestudio.integrations import TuneStudioLogger\nlg = TuneStudioLogger(project='l2')\nlg.log_metrics({'a': 1}, step=0)\nlg.finalize('failed')\n"
        self.python(self.script("pl2.py", code))
        self.assertEqual(self.runs("l2")[0]["status"], "failed")

    def test_integrations_import_nothing_that_is_not_installed(self):
        code = "import sys\nimport tunestudio.integrations\nprint(sorted(m for m in ('transformers', 'torch', 'lightning', 'pytorch_lightning', 'numpy') if m in sys.modules))\n"
        r = self.python(self.script("imp.py", code))
        self.assertEqual(r.stdout.strip(), "[]")

    def test_wandb_subset(self):
        r = self.python(self.script("wb.py", WANDB))
        run_id = r.stdout.split("RESULT")[-1].strip()
        self.assertIn("wandb.init(entity=...) has no equivalent", r.stderr)
        show = self.cli_json("show", run_id)
        self.assertEqual(show["config"], {"lr": 0.1, "batch": 8, "layers": 4, "summary": {"best": 0.33}})
        self.assertEqual(show["summary"]["loss"]["count"], 3)
        self.assertEqual(show["status"], "finished")
        alerts = self.cli_json("alerts", "--run", run_id)
        self.assertEqual([(a["title"], a["level"]) for a in alerts], [("done soon", "warn")])


if __name__ == "__main__":
    unittest.main()
