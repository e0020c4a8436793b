"""The command of the company-records processor: one batch in, its outputs and exceptions out.

The batch runner starts it with BATCHKEEPER_BATCH set to the batch's descriptor (docs/command-processors.md)
and reads back outputs.jsonl and exceptions.jsonl once it exits. Exit codes: 0 when every item has an output or
an exception, 2 to ask for the batch to be tried again (nothing of this attempt is kept), anything else (an
uncaught error: Python exits 1 with a traceback on stderr) fails the attempt.
"""

import json
import os
import sys

from companies import Rejected, normalize_record

RETRY = 2


def run_batch(descriptor):
    """Normalise every staged item; returns how many outputs and exceptions were written."""
    config = descriptor["config"]
    outputs = exceptions = 0
    with open(descriptor["inputs"], encoding="utf-8") as items, open(
        descriptor["outputs"], "w", encoding="utf-8"
    ) as out, open(descriptor["exceptions"], "w", encoding="utf-8") as bad:
        for line in items:
            staged = json.loads(line)
            try:
                output = normalize_record(staged["item"], config)
            except Rejected as rejected:
                bad.write(json.dumps({"id": staged["id"], "kind": rejected.kind, "details": rejected.details}) + "\n")
                exceptions += 1
                continue
            out.write(json.dumps({"id": staged["id"], "output": output}, ensure_ascii=False) + "\n")
            outputs += 1
    return outputs, exceptions


def main():
    path = os.environ.get("BATCHKEEPER_BATCH")
    if not path:
        print("BATCHKEEPER_BATCH is not set: run me through batchkeeper", file=sys.stderr)
        return 1
    try:
        with open(path, encoding="utf-8") as f:
            descriptor = json.load(f)
    except OSError as error:
        # The work folder is the runner's: a file missing there is worth another attempt.
        print(f"cannot read the descriptor: {error}", file=sys.stderr)
        return RETRY
    outputs, exceptions = run_batch(descriptor)
    batch = descriptor["batch"]
    print(f"batch {batch['start']}-{batch['end']}: {outputs} outputs, {exceptions} exceptions", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
