"""Stage 2 of the toy RLHF loop: the people who rank completions, simulated or at the keyboard.

Introduced in notebook 09 (toy RLHF).

- :class:`SimulatedAnnotator` is the CI's stand-in for a person: a hidden *true score*
  (positive sentiment from the VADER lexicon, which the policy never sees, plus a fluency term
  that punishes repeated words) and Bradley-Terry label noise, so that two annotators disagree
  on close pairs as people do.
- :func:`ranking_panel` is the class's ipywidgets panel: the person at the keyboard picks the
  better of two completions and the choices are saved as preference pairs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from ..corpora.jsonl import dumps_record

__all__ = ["SimulatedAnnotator", "ranking_panel"]


class SimulatedAnnotator:
    """A person with a hidden taste, and noise. Introduced in notebook 09.

    The hidden **true score** of a completion (a list of words) is

    ``sentiment + fluency_weight * (distinct - 1)``, where ``sentiment = tanh(sum of VADER
    valences / 4)`` lies in ``(-1, 1)`` and ``distinct`` is the share of distinct words among
    the completion's words (punctuation not counted; 1 when no word repeats).

    Labels follow Bradley-Terry: the annotator prefers ``a`` over ``b`` with probability
    ``sigmoid((score(a) - score(b)) / temperature)``; a smaller temperature is a more
    consistent annotator.
    """

    def __init__(
        self,
        lexicon: dict[str, float],
        fluency_weight: float = 2.0,
        temperature: float = 0.25,
    ):
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.lexicon = lexicon
        self.fluency_weight = fluency_weight
        self.temperature = temperature

    def sentiment(self, words: Sequence[str]) -> float:
        return math.tanh(sum(self.lexicon.get(w, 0.0) for w in words) / 4.0)

    def fluency(self, words: Sequence[str]) -> float:
        """Share of distinct words (punctuation and ``<unk>`` left out) minus 1, in ``(-1, 0]``."""
        content = [w for w in words if w[0].isalnum()]
        return len(set(content)) / len(content) - 1.0 if content else 0.0

    def true_score(self, words: Sequence[str]) -> float:
        """The hidden score of one completion given as a list of words."""
        if isinstance(words, str):
            raise TypeError("words must be a list of words (use split_words), got a str")
        return self.sentiment(words) + self.fluency_weight * self.fluency(words)

    def preference_prob(self, words_a: Sequence[str], words_b: Sequence[str]) -> float:
        """Probability that this annotator prefers ``a`` to ``b``."""
        gap = (self.true_score(words_a) - self.true_score(words_b)) / self.temperature
        return 1.0 / (1.0 + math.exp(-gap))

    def label(
        self,
        pairs: Sequence[tuple[Sequence[str], Sequence[str]]],
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Noisy labels ``[num_pairs]`` bool: True where ``a`` is preferred to ``b``."""
        probs = torch.tensor([self.preference_prob(a, b) for a, b in pairs], dtype=torch.float64)
        return torch.rand(len(pairs), generator=generator, dtype=torch.float64) < probs

    def label_groups(
        self, scores: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Label every pair among the ``K`` completions of each prompt, as InstructGPT's
        labelers ranked ``K`` outputs at once.

        ``scores [P, K]``: true scores. Pairs ``(i, j)``, ``i < j``, in the order of
        ``torch.triu_indices(K, K, 1)``. Returns ``(labels [P, K(K-1)/2]`` bool, True where
        ``i`` is preferred, ``probs [P, K(K-1)/2])`` the annotator's preference probabilities.
        """
        if scores.dim() != 2 or scores.shape[1] < 2:
            raise ValueError(f"scores must be [P, K] with K >= 2, got {tuple(scores.shape)}")
        i, j = torch.triu_indices(scores.shape[1], scores.shape[1], 1)
        probs = torch.sigmoid((scores[:, i] - scores[:, j]).double() / self.temperature)
        labels = torch.rand(probs.shape, generator=generator, dtype=torch.float64) < probs
        return labels, probs.float()

    def expected_agreement(self, pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> float:
        """Probability that two independent annotators like this one agree on a pair, averaged
        over ``pairs``: mean of ``p^2 + (1 - p)^2`` (InstructGPT measured about 0.73)."""
        probs = [self.preference_prob(a, b) for a, b in pairs]
        return sum(p * p + (1 - p) * (1 - p) for p in probs) / len(probs)


def ranking_panel(
    items: Sequence[tuple[str, str, str]],
    on_choice: Callable[[dict], None] | None = None,
    save_path: Path | None = None,
):
    """An ipywidgets panel for class: for each ``(prompt, completion_a, completion_b)`` the
    person at the keyboard clicks the better completion (or skips).

    Every choice is appended to the returned list as ``{"prompt", "chosen", "rejected"}``,
    passed to ``on_choice`` and, with ``save_path``, appended to that JSON-lines file.
    Returns ``(panel widget, choices list)``. Introduced in notebook 09 (skipped under nbval).
    """
    import ipywidgets as widgets

    if not items:
        raise ValueError("items must hold at least one (prompt, a, b) triple, got none")
    choices: list[dict] = []
    state = {"i": 0}
    header = widgets.HTML()
    button_a = widgets.Button(layout=widgets.Layout(width="100%", height="auto"))
    button_b = widgets.Button(layout=widgets.Layout(width="100%", height="auto"))
    skip = widgets.Button(description="skip (no preference)")

    def show() -> None:
        i = state["i"]
        if i >= len(items):
            header.value = f"<b>Done:</b> {len(choices)} preference pairs recorded."
            for b in (button_a, button_b, skip):
                b.disabled = True
            return
        prompt, a, b = items[i]
        header.value = f"<b>{i + 1}/{len(items)}</b> which continuation is better? <i>{prompt}</i>"
        button_a.description, button_b.description = f"A: {a}", f"B: {b}"

    def pick(which: int | None) -> None:
        prompt, a, b = items[state["i"]]
        if which is not None:
            chosen, rejected = (a, b) if which == 0 else (b, a)
            row = {"prompt": prompt, "chosen": chosen, "rejected": rejected}
            choices.append(row)
            if on_choice is not None:
                on_choice(row)
            if save_path is not None:
                with open(save_path, "a", encoding="utf-8") as handle:
                    handle.write(dumps_record(row) + "\n")
        state["i"] += 1
        show()

    button_a.on_click(lambda _: pick(0))
    button_b.on_click(lambda _: pick(1))
    skip.on_click(lambda _: pick(None))
    show()
    return widgets.VBox([header, button_a, button_b, skip]), choices
