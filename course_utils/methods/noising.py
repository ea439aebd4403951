"""The five noising functions of BART (Lewis et al., 2020, section 2.2).

Introduced in notebook 06. Each function takes a sequence of tokens (strings or ids) and returns
a new, noised list; the input is never changed. Randomness comes from ``rng``: a
``numpy.random.Generator``, an int seed, or ``None`` (a fresh unseeded generator).

- :func:`token_masking`: each token becomes ``mask_token`` with probability ``p`` (BERT-style).
- :func:`token_deletion`: each token is dropped with probability ``p``; the model must find
  *where* something is missing.
- :func:`text_infilling`: spans with Poisson(``poisson_lambda``) lengths are replaced by a single
  ``mask_token`` each (a length-0 span inserts a mask), until about ``mask_ratio`` of the tokens
  are covered; the model must also guess *how many* tokens are missing.
- :func:`sentence_permutation`: the sentences (split after ``sentence_end`` tokens) are shuffled.
- :func:`document_rotation`: the document is rotated to start at a random token.

Every function refuses an empty input and probabilities outside ``[0, 1]`` with a clear
``ValueError``, and never returns an empty sequence.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

__all__ = [
    "NOISE_FUNCTIONS",
    "bart_noise",
    "document_rotation",
    "sentence_permutation",
    "split_sentences",
    "text_infilling",
    "token_deletion",
    "token_masking",
]

SENTENCE_END = frozenset({".", "!", "?"})


def _as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    if rng is None or (isinstance(rng, int) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")


def _check_tokens(tokens: object) -> list:
    if isinstance(tokens, str):
        raise TypeError(
            f"tokens must be a sequence of tokens, got a str {tokens[:40]!r} (use .split())"
        )
    if hasattr(tokens, "tolist") and not isinstance(tokens, list):  # tensors, arrays
        tokens = tokens.tolist()
    if not isinstance(tokens, Sequence):
        raise TypeError(f"tokens must be a sequence of tokens, got {type(tokens).__name__}")
    if len(tokens) == 0:
        raise ValueError("tokens is empty: there is nothing to noise (need at least one token)")
    return list(tokens)


def _check_probability(name: str, p: object) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)):
        raise TypeError(f"{name} must be a number in [0, 1], got {type(p).__name__}: {p!r}")
    if not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {p!r}")
    return float(p)


def token_masking(
    tokens: Sequence[Hashable],
    mask_token: Hashable,
    p: float = 0.15,
    rng: np.random.Generator | int | None = None,
) -> list:
    """Replace each token by ``mask_token`` independently with probability ``p``.

    ``[T] -> [T]`` (same length). Introduced in notebook 06.
    """
    tokens = _check_tokens(tokens)
    p = _check_probability("p", p)
    hit = _as_rng(rng).random(len(tokens)) < p
    return [mask_token if h else t for t, h in zip(tokens, hit, strict=True)]


def token_deletion(
    tokens: Sequence[Hashable], p: float = 0.15, rng: np.random.Generator | int | None = None
) -> list:
    """Delete each token independently with probability ``p``.

    ``[T] -> [T']`` with ``1 <= T' <= T``: if every token was drawn for deletion, one of them
    (chosen at random) is kept, so the result is never empty. Introduced in notebook 06.
    """
    tokens = _check_tokens(tokens)
    p = _check_probability("p", p)
    gen = _as_rng(rng)
    keep = gen.random(len(tokens)) >= p
    if not keep.any():
        keep[gen.integers(len(tokens))] = True
    return [t for t, k in zip(tokens, keep, strict=True) if k]


def text_infilling(
    tokens: Sequence[Hashable],
    mask_token: Hashable,
    mask_ratio: float = 0.3,
    poisson_lambda: float = 3.0,
    rng: np.random.Generator | int | None = None,
) -> list:
    """Replace spans of Poisson(``poisson_lambda``) lengths by one ``mask_token`` each.

    Spans are drawn (length from the Poisson distribution, start uniform over the tokens not yet
    covered) until ``round(mask_ratio * T)`` tokens are covered; a span never overlaps another
    one and is cut at the next covered token or the end. A length-0 span inserts a mask before
    its start token without covering anything (at most ``T`` such insertions). ``[T] -> [T']``,
    never empty (when all is covered, the result is one mask). Introduced in notebook 06.

    Args:
        tokens: the tokens, ``T >= 1``.
        mask_token: what replaces each span.
        mask_ratio: share of the tokens to cover, in ``[0, 1]`` (BART: 0.3).
        poisson_lambda: mean span length (BART: 3), ``> 0``.
        rng: numpy Generator, int seed or ``None``.
    """
    tokens = _check_tokens(tokens)
    mask_ratio = _check_probability("mask_ratio", mask_ratio)
    if isinstance(poisson_lambda, bool) or not isinstance(
        poisson_lambda, (int, float, np.floating)
    ):
        raise TypeError(f"poisson_lambda must be a positive number, got {poisson_lambda!r}")
    if not poisson_lambda > 0:
        raise ValueError(f"poisson_lambda must be > 0, got {poisson_lambda!r}")
    gen = _as_rng(rng)
    length = len(tokens)
    target = int(round(mask_ratio * length))
    covered = np.zeros(length, dtype=bool)
    span_start = np.zeros(length, dtype=bool)  # first token of a covered span
    insert_before = np.zeros(length, dtype=bool)  # a length-0 span: a mask before this token
    num_covered, num_inserts = 0, 0
    while num_covered < target:
        free = np.flatnonzero(~covered)
        start = int(free[gen.integers(len(free))])
        span = int(gen.poisson(poisson_lambda))
        if span == 0:
            if num_inserts < length and not insert_before[start]:
                insert_before[start] = True
                num_inserts += 1
            continue
        end = start
        while end < length and end - start < span and not covered[end]:
            end += 1
        span = min(end - start, target - num_covered)
        covered[start : start + span] = True
        span_start[start] = True
        num_covered += span
    out: list = []
    for k, token in enumerate(tokens):
        if insert_before[k] and not covered[k]:
            out.append(mask_token)
        if not covered[k]:
            out.append(token)
        elif span_start[k]:  # one mask per span
            out.append(mask_token)
    return out if out else [mask_token]


def split_sentences(
    tokens: Sequence[Hashable], sentence_end: frozenset | set = SENTENCE_END
) -> list[list]:
    """Split ``tokens`` into sentences, each ending after a token in ``sentence_end``.

    Trailing tokens without an end token form a last sentence. Introduced in notebook 06.
    """
    tokens = _check_tokens(tokens)
    sentences: list[list] = [[]]
    for token in tokens:
        sentences[-1].append(token)
        if token in sentence_end:
            sentences.append([])
    return [s for s in sentences if s]


def sentence_permutation(
    tokens: Sequence[Hashable],
    rng: np.random.Generator | int | None = None,
    sentence_end: frozenset | set = SENTENCE_END,
) -> list:
    """Shuffle the order of the sentences (split after tokens in ``sentence_end``).

    ``[T] -> [T]`` (the same tokens). A one-sentence input comes back unchanged.
    Introduced in notebook 06.
    """
    sentences = split_sentences(tokens, sentence_end)
    order = _as_rng(rng).permutation(len(sentences))
    return [token for k in order for token in sentences[k]]


def document_rotation(
    tokens: Sequence[Hashable], rng: np.random.Generator | int | None = None
) -> list:
    """Rotate the document so that it starts at a token chosen uniformly at random.

    ``[T] -> [T]``: ``tokens[k:] + tokens[:k]``. The model must find the true start.
    Introduced in notebook 06.
    """
    tokens = _check_tokens(tokens)
    k = int(_as_rng(rng).integers(len(tokens)))
    return tokens[k:] + tokens[:k]


#: name -> function(tokens, mask_token, rng): the five noisings with BART's default settings.
NOISE_FUNCTIONS = {
    "token masking": lambda tokens, mask, rng=None: token_masking(tokens, mask, 0.15, rng),
    "token deletion": lambda tokens, mask, rng=None: token_deletion(tokens, 0.15, rng),
    "text infilling": lambda tokens, mask, rng=None: text_infilling(tokens, mask, 0.3, 3.0, rng),
    "sentence permutation": lambda tokens, mask, rng=None: sentence_permutation(tokens, rng),
    "document rotation": lambda tokens, mask, rng=None: document_rotation(tokens, rng),
}


def bart_noise(
    tokens: Sequence[Hashable],
    mask_token: Hashable,
    rng: np.random.Generator | int | None = None,
    mask_ratio: float = 0.3,
    poisson_lambda: float = 3.0,
    sentence_end: frozenset | set = SENTENCE_END,
) -> list:
    """BART's best combination: :func:`sentence_permutation`, then :func:`text_infilling`.

    ``[T] -> [T']``, never empty. Introduced in notebook 06 (denoising pre-training).
    """
    gen = _as_rng(rng)
    permuted = sentence_permutation(tokens, gen, sentence_end)
    return text_infilling(permuted, mask_token, mask_ratio, poisson_lambda, gen)
