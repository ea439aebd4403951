"""Benchmark: a training step of the package's GPT vs the same network on torch's SDPA directly.

Run on demand (not a test)::

    python benchmarks/bench_gpt.py                    # notebook 05's default size, all threads
    python benchmarks/bench_gpt.py --threads 2 --repeats 40

Issue 5 asks that the package's GPT (built from ``course_utils.nn.blocks.DecoderBlock`` and
``course_utils.nn.attention.MultiHeadAttention``) trains at least as fast per step as the same
architecture written with ``torch.nn.functional.scaled_dot_product_attention(is_causal=True)``
directly. Both models get identical weights and batches; one step is forward, cross-entropy,
backward, gradient clipping and an AdamW update. The two are timed interleaved (so that a change
in machine load hits both) and the median step time is reported.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_utils.models.gpt import GPT, GPTConfig


class SDPABlock(nn.Module):
    """Pre-LN decoder block with fused QKV and ``F.scaled_dot_product_attention(is_causal=True)``."""

    def __init__(self, d_model: int, num_heads: int, d_ff: int):
        super().__init__()
        self.num_heads = num_heads
        self.norm1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.fc1 = nn.Linear(d_model, d_ff)
        self.fc2 = nn.Linear(d_ff, d_model)

    def forward(self, x: Tensor) -> Tensor:
        batch, length, d_model = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(d_model, dim=-1)
        q, k, v = (
            t.view(batch, length, self.num_heads, -1).transpose(1, 2) for t in (q, k, v)
        )  # [B, H, T, d_k]
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.out(att.transpose(1, 2).reshape(batch, length, d_model))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class SDPAGPT(nn.Module):
    """The same GPT written directly: embeddings, SDPA blocks, final norm, tied head."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.token = nn.Embedding(config.vocab_size, config.d_model)
        self.position = nn.Embedding(config.max_len, config.d_model)
        self.blocks = nn.ModuleList(
            SDPABlock(config.d_model, config.num_heads, config.d_ff)
            for _ in range(config.num_layers)
        )
        self.norm = nn.LayerNorm(config.d_model)

    def forward(self, ids: Tensor) -> Tensor:
        x = self.token(ids) + self.position(torch.arange(ids.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.norm(x) @ self.token.weight.T

    @torch.no_grad()
    def copy_from(self, model: GPT) -> None:
        """Take ``model``'s weights (fusing its separate Q/K/V projections)."""
        self.token.weight.copy_(model.token.weight)
        self.position.weight.copy_(model.position.weight)
        self.norm.load_state_dict(model.norm.state_dict())
        for mine, theirs in zip(self.blocks, model.layers, strict=True):
            att = theirs.self_attention
            mine.qkv.weight.copy_(
                torch.cat([att.q_proj.weight, att.k_proj.weight, att.v_proj.weight])
            )
            mine.qkv.bias.copy_(torch.cat([att.q_proj.bias, att.k_proj.bias, att.v_proj.bias]))
            mine.out.load_state_dict(att.out_proj.state_dict())
            mine.norm1.load_state_dict(theirs.norm1.state_dict())
            mine.norm2.load_state_dict(theirs.norm2.state_dict())
            mine.fc1.load_state_dict(theirs.ffn.linear1.state_dict())
            mine.fc2.load_state_dict(theirs.ffn.linear2.state_dict())


def make_step(model: nn.Module, logits_of, x: Tensor, y: Tensor):
    """One training step (forward, loss, backward, clip, AdamW) as a closure."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step() -> float:
        loss = F.cross_entropy(logits_of(x).flatten(0, 1), y.flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss.item()

    return step


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--context", type=int, default=128)
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--num-layers", type=int, default=4)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    config = GPTConfig(
        vocab_size=80,
        d_model=args.d_model,
        num_heads=4,
        num_layers=args.num_layers,
        d_ff=4 * args.d_model,
        max_len=args.context,
    )
    torch.manual_seed(0)
    ours = GPT(config)
    ref = SDPAGPT(config)
    ref.copy_from(ours)
    x = torch.randint(0, config.vocab_size, (args.batch_size, args.context))
    y = torch.randint(0, config.vocab_size, (args.batch_size, args.context))
    with torch.no_grad():
        diff = (ours(x).logits - ref(x)).abs().max().item()
    print(f"torch {torch.__version__} | threads {torch.get_num_threads()} | {config}")
    print(f"same weights, max |logits difference| = {diff:.2e}")
    steps = {
        "package GPT": make_step(ours, lambda t: ours(t).logits, x, y),
        "direct SDPA": make_step(ref, ref, x, y),
    }
    times: dict[str, list[float]] = {name: [] for name in steps}
    cpu_times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(3):  # warm-up
        for step in steps.values():
            step()
    for _ in range(args.repeats):  # interleaved
        for name, step in steps.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            step()
            times[name].append(time.perf_counter() - start)
            cpu_times[name].append(time.process_time() - start_cpu)
    tokens = args.batch_size * args.context
    medians = {name: statistics.median(t) for name, t in times.items()}
    cpu = {name: statistics.median(t) for name, t in cpu_times.items()}
    for name, median in medians.items():
        print(
            f"{name:<12} {median * 1e3:8.1f} ms/step (wall) {tokens / median:8.0f} tokens/s | "
            f"{cpu[name] * 1e3:8.1f} ms/step (process CPU time)"
        )
    ratio = medians["package GPT"] / medians["direct SDPA"]
    cpu_ratio = cpu["package GPT"] / cpu["direct SDPA"]
    print(
        f"ratio package / direct: wall {ratio:.3f}, CPU time {cpu_ratio:.3f} "
        f"(target: <= 1.0 within noise; CPU time is the steadier figure on a shared machine)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
