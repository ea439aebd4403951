"""Checking a student's answer to an exercise, with a hint instead of the solution.

Introduced in notebook 01; every notebook's exercises end with a ``check(...)`` call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

__all__ = [
    "check",
]


def _to_array(value: object) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def check(answer: object, expected: object, *, tol: float = 1e-6, hint: str = "") -> bool:
    """Compare ``answer`` with ``expected`` and print a verdict (numbers within ``tol``).

    Works for numbers, sequences, NumPy arrays and tensors (compared element-wise, shapes must
    match) and for strings/other objects (compared with ``==``). Returns True when correct.
    ``None`` (the placeholder in an unanswered exercise) prints a reminder and returns False.
    """
    if answer is None or answer is Ellipsis:
        print("Not answered yet: replace the placeholder with your answer and run the cell again.")
        return False
    if isinstance(expected, str) or not isinstance(
        expected, (int, float, np.ndarray, torch.Tensor, Sequence, np.generic)
    ):
        correct = answer == expected
    else:
        got, want = _to_array(answer), _to_array(expected)
        if got.shape != want.shape:
            print(f"Not yet: expected shape {want.shape}, got {got.shape}. {hint}".rstrip())
            return False
        correct = bool(np.allclose(got.astype(float), want.astype(float), atol=tol, rtol=0.0))
        if not correct and got.size == 1:
            gap = abs(float(got.reshape(-1)[0]) - float(want.reshape(-1)[0]))
            if not math.isnan(gap):
                hint = f"(off by {gap:.3g}) {hint}"
    print("Correct!" if correct else f"Not yet. {hint}".rstrip())
    return bool(correct)
