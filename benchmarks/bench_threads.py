"""Benchmark: one training cell under thread settings, on an idle machine and with one core busy.

Run on demand (not a test)::

    python benchmarks/bench_threads.py            # every setting, idle and busy
    python benchmarks/bench_threads.py --steps 40

A student's laptop is rarely idle (a browser, a video call). With one core busy, OpenMP's
default of spinning while it waits for the slowest thread makes two torch threads much slower
than one. Each setting runs the same training cell (notebook 04's small BERT, masked-LM steps)
in a fresh process, because OpenMP reads its environment when torch is imported; "busy" runs a
pure-Python loop on one core next to it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

SETTINGS = {
    "2 threads, OpenMP default (spin)": {"OMP_NUM_THREADS": "2"},
    "2 threads, OMP_WAIT_POLICY=PASSIVE": {"OMP_NUM_THREADS": "2", "OMP_WAIT_POLICY": "PASSIVE"},
    "2 threads, OMP_WAIT_POLICY=ACTIVE": {"OMP_NUM_THREADS": "2", "OMP_WAIT_POLICY": "ACTIVE"},
    "1 thread": {"OMP_NUM_THREADS": "1"},
}

CELL = """
import json, sys, time, torch
from course_utils.corpora import tokenization, wordpiece_vocab
from course_utils.methods import transfer
from course_utils.models import bert
torch.set_num_threads(int(sys.argv[2]))
torch.manual_seed(0)
tok = wordpiece_vocab.load_course_tokenizer()
texts = transfer.pretraining_texts()[:64 * int(sys.argv[1])]
config = bert.BertConfig(vocab_size=len(tok), d_model=128, num_heads=4, num_layers=2, d_ff=512,
                         max_len=128)
model = bert.BertForMaskedLM(config)
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
special = {tok.pad_token_id, tok.cls_token_id, tok.sep_token_id}
start = time.perf_counter()
for step in range(int(sys.argv[1])):
    enc = tokenization.encode_batch(tok, texts[64 * step : 64 * (step + 1)], max_len=64)
    ids, labels = bert.mask_tokens(enc["input_ids"], tok.mask_token_id, len(tok), special)
    loss, _ = model(ids, enc["attention_mask"], labels=labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
print(json.dumps(time.perf_counter() - start))
"""


def run(env_extra: dict[str, str], steps: int) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "GOMP_"))}
    env.update(env_extra, HF_HUB_OFFLINE="1")
    threads = env_extra["OMP_NUM_THREADS"]
    out = subprocess.run([sys.executable, "-c", CELL, str(steps), threads], env=env,
                         capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; {args.steps} masked-LM steps of 64 snippets per run")
    print(f"{'setting':40s} {'idle':>8s} {'one core busy':>14s}")
    for name, env_extra in SETTINGS.items():
        idle = run(env_extra, args.steps)
        busy_loop = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            time.sleep(0.5)
            busy = run(env_extra, args.steps)
        finally:
            busy_loop.kill()
        print(f"{name:40s} {idle:7.1f}s {busy:13.1f}s", flush=True)


if __name__ == "__main__":
    main()
