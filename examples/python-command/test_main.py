"""The command end to end on a work folder laid out as the batch runner lays it out."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def stage(work, items, config=None):
    path = lambda name: os.path.join(work, name)  # noqa: E731
    with open(path("items.jsonl"), "w", encoding="utf-8") as f:
        for i, item in enumerate(items, start=1):
            f.write(json.dumps({"id": i, "item": item}) + "\n")
    descriptor = {
        "version": 1,
        "jobId": "j",
        "runId": "r",
        "processor": {"name": "company-records", "version": "1"},
        "batch": {"scope": "inventory", "start": 1, "end": len(items), "items": len(items)},
        "config": config or {"checkForm": True, "keepAddress": True},
        "configHash": "h",
        "attempt": 1,
        "token": 1,
        "workDir": work,
        "inputs": path("items.jsonl"),
        "outputs": path("outputs.jsonl"),
        "exceptions": path("exceptions.jsonl"),
        "secret": None,
    }
    with open(path("batch.json"), "w", encoding="utf-8") as f:
        json.dump(descriptor, f)
    return descriptor


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


class MainTest(unittest.TestCase):
    def run_main(self, env_batch):
        # Only what the batch runner passes on (PATH, HOME, the locale), as the command will see it.
        env = {"PATH": os.environ.get("PATH", "")}
        if "PYTHONDONTWRITEBYTECODE" in os.environ:
            env["PYTHONDONTWRITEBYTECODE"] = os.environ["PYTHONDONTWRITEBYTECODE"]
        if env_batch is not None:
            env["BATCHKEEPER_BATCH"] = env_batch
        return subprocess.run([sys.executable, "main.py"], cwd=HERE, env=env, capture_output=True, text=True)

    def test_writes_one_output_or_one_exception_per_staged_item(self):
        with tempfile.TemporaryDirectory() as work:
            d = stage(
                work,
                [
                    {"registryNumber": "01-09-174222", "name": "Alfa Kft.", "address": "1229 Budapest, Fő utca 1."},
                    {"registryNumber": "99-09-174222", "name": "Béta Kft."},
                    {"registryNumber": "01-06-000001", "name": "Gamma Kft."},
                ],
            )
            done = self.run_main(os.path.join(work, "batch.json"))
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual([o["id"] for o in lines(d["outputs"])], [1])
            self.assertEqual(lines(d["outputs"])[0]["output"]["name"], "Alfa Kft.")
            self.assertEqual(
                [(x["id"], x["kind"]) for x in lines(d["exceptions"])],
                [(2, "unknown-court"), (3, "form-mismatch")],
            )
            self.assertIn("1 outputs, 2 exceptions", done.stderr)

    def test_asks_for_a_retry_when_the_descriptor_is_missing(self):
        with tempfile.TemporaryDirectory() as work:
            done = self.run_main(os.path.join(work, "batch.json"))
            self.assertEqual(done.returncode, 2)

    def test_refuses_to_run_outside_batchkeeper(self):
        self.assertEqual(self.run_main(None).returncode, 1)


if __name__ == "__main__":
    unittest.main()
