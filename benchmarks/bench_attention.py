"""Benchmark: the package's attention without weights vs torch's scaled_dot_product_attention.

Run on demand (not a test)::

    python benchmarks/bench_attention.py            # default shapes, all CPU threads
    python benchmarks/bench_attention.py --repeats 50 --threads 2

The course's performance budget (COURSE_SPEC.md) is a ratio of at most 1.2x: the package's fast
path only adds input validation (and mask fix-ups) around torch's fused kernel. The explicit
path (``return_attention=True``, which builds the ``[T_q, T_k]`` weights) is shown for contrast.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from course_utils.nn.attention import causal_mask, scaled_dot_product_attention

SHAPES = [  # (batch, heads, T, d_k)
    (8, 8, 128, 64),
    (8, 8, 512, 64),
]


def time_fn(fn: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeats`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-explicit", action="store_true", help="skip the weights path")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    print(f"torch {torch.__version__} | device {device} | threads {torch.get_num_threads()}")
    header = f"{'shape (B, H, T, d_k)':<22}{'mask':<8}{'torch':>10}{'package':>10}{'ratio':>8}"
    header += "" if args.no_explicit else f"{'explicit':>10}{'ratio':>8}"
    print(header)
    worst = 0.0
    with torch.no_grad():
        for batch, heads, length, d_k in SHAPES:
            gen = torch.Generator().manual_seed(0)
            q, k, v = (
                torch.randn(batch, heads, length, d_k, generator=gen).to(device) for _ in range(3)
            )
            for mask_name, mask in (("none", None), ("causal", causal_mask(length, device=device))):

                def ref(q=q, k=k, v=v, mask=mask):
                    F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
                    sync()

                def ours(q=q, k=k, v=v, mask=mask):
                    scaled_dot_product_attention(q, k, v, mask)
                    sync()

                def explicit(q=q, k=k, v=v, mask=mask):
                    scaled_dot_product_attention(q, k, v, mask, return_attention=True)
                    sync()

                # interleave the two timings to share any drift in machine load
                t_ref, t_ours = float("inf"), float("inf")
                for _ in range(2):
                    t_ref = min(t_ref, time_fn(ref, args.repeats))
                    t_ours = min(t_ours, time_fn(ours, args.repeats))
                ratio = t_ours / t_ref
                worst = max(worst, ratio)
                line = (
                    f"{str((batch, heads, length, d_k)):<22}{mask_name:<8}"
                    f"{t_ref * 1e3:>8.2f}ms{t_ours * 1e3:>8.2f}ms{ratio:>7.2f}x"
                )
                if not args.no_explicit:
                    t_exp = time_fn(explicit, max(3, args.repeats // 4))
                    line += f"{t_exp * 1e3:>8.2f}ms{t_exp / t_ref:>7.2f}x"
                print(line, flush=True)
    verdict = "OK" if worst <= 1.2 else "ABOVE TARGET"
    print(f"worst package/torch ratio: {worst:.2f}x (target <= 1.2x): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
