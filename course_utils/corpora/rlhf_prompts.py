"""Stages 1-2 of the toy RLHF loop: prompts, a word-level vocabulary, and the people who rank.

Introduced in notebook 09 (toy RLHF).

- :func:`generate_prompts` writes the project's review prompts (``data/rlhf_prompts.jsonl``,
  three words each, e.g. ``the acting was``), split into train and test prompts by a seed.
- :class:`WordVocab` is the policy's tokenizer: lower-cased words and punctuation, the most
  frequent ``size`` of them, everything else ``<unk>``. Whole words keep the toy readable.
- :class:`SimulatedAnnotator` is the CI's stand-in for a person: a hidden *true score*
  (positive sentiment from the VADER lexicon, which the policy never sees, plus a fluency term
  that punishes repeated words) and Bradley-Terry label noise, so that two annotators disagree
  on close pairs as people do.
- :func:`ranking_panel` is the class's ipywidgets panel: the person at the keyboard picks the
  better of two completions and the choices are saved as preference pairs.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import torch
from datasets import Dataset, DatasetDict

from .assets import asset_path
from .paths import data_dir

__all__ = [
    "GENERATORS",
    "PROMPTS_FILE",
    "PROMPTS_SEED",
    "SimulatedAnnotator",
    "WordVocab",
    "generate_prompts",
    "load_prompts",
    "load_vader_lexicon",
    "ranking_panel",
    "split_words",
    "write_prompts",
]

PROMPTS_FILE = "rlhf_prompts.jsonl"
PROMPTS_SEED = 2022  # the year of InstructGPT

_SUBJECTS = [
    "the movie",
    "the film",
    "this movie",
    "this film",
    "the story",
    "the plot",
    "the acting",
    "the script",
    "the ending",
    "the cast",
    "the director",
    "the music",
    "the dialogue",
    "the characters",
    "the humor",
    "the performances",
    "the book",
    "this book",
    "the product",
    "the camera",
]
_VERBS = ["is", "was", "seems", "feels"]
_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,!?;:]")


def split_words(text: str) -> list[str]:
    """Lower-case words (with an apostrophe part, ``don't``) and punctuation marks.

    ``split_words("The plot, I think, wasn't bad!")`` ->
    ``['the', 'plot', ',', 'i', 'think', ',', "wasn't", 'bad', '!']``. Introduced in notebook 09.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return _WORD_RE.findall(text.lower())


def generate_prompts(seed: int = PROMPTS_SEED, test_size: int = 16) -> list[dict]:
    """The RLHF prompts: every ``subject + verb`` (20 x 4 = 80 three-word prompts, verbs agree
    with plural subjects: ``the characters were``), shuffled by
    ``seed``; the first ``test_size`` are test prompts (never used to train the reward model
    or the policy). Returns ``[{"id", "split", "prompt"}, ...]``. Introduced in notebook 09.
    """
    plural = {"is": "are", "was": "were", "seems": "seem", "feels": "feel"}
    prompts = [
        f"{s} {plural[v] if s.endswith('s') else v}" for s in _SUBJECTS for v in _VERBS
    ]  # "the characters were", "the plot was"
    if not 0 < test_size < len(prompts):
        raise ValueError(f"test_size must be in 1..{len(prompts) - 1}, got {test_size}")
    random.Random(seed).shuffle(prompts)
    return [
        {"id": i, "split": "test" if i < test_size else "train", "prompt": p}
        for i, p in enumerate(prompts)
    ]


GENERATORS = {PROMPTS_FILE: generate_prompts}  # for ``python -m course_utils.data [--check]``


def write_prompts(rows: list[dict] | None = None, path: Path | None = None) -> Path:
    """Write the prompts as JSON lines (default ``data/rlhf_prompts.jsonl``, from the seed)."""
    rows = generate_prompts() if rows is None else rows
    path = Path(path) if path is not None else data_dir() / PROMPTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    return path


def load_prompts(path: Path | None = None) -> DatasetDict:
    """Load the prompts as ``DatasetDict(train, test)`` with columns ``id``, ``prompt``.

    Regenerates the file from the seed when it is missing. Introduced in notebook 09.
    """
    path = Path(path) if path is not None else data_dir() / PROMPTS_FILE
    if not path.is_file():
        write_prompts(path=path)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return DatasetDict(
        {
            split: Dataset.from_dict(
                {
                    "id": [r["id"] for r in rows if r["split"] == split],
                    "prompt": [r["prompt"] for r in rows if r["split"] == split],
                }
            )
            for split in ("train", "test")
        }
    )


class WordVocab:
    """A word-level vocabulary: ids ``0..size-1``; ``<pad>`` 0, ``<bos>`` 1, ``<unk>`` 2.

    Introduced in notebook 09. ``encode("the plot was")`` -> ``[ids]`` (no ``<bos>``; add it
    with ``bos=True``), ``decode(ids)`` -> a string with punctuation attached to the word before.
    """

    specials = ("<pad>", "<bos>", "<unk>")

    def __init__(self, words: Sequence[str]):
        words = list(words)
        if len(set(words)) != len(words):
            raise ValueError("words must be unique")
        self.itos = list(self.specials) + [w for w in words if w not in self.specials]
        self.stoi = {w: i for i, w in enumerate(self.itos)}
        self.pad_id, self.bos_id, self.unk_id = 0, 1, 2

    @classmethod
    def build(cls, texts: Iterable[str], size: int = 2000) -> WordVocab:
        """The ``size - 3`` most frequent words of ``texts`` (ties broken alphabetically)."""
        if size <= len(cls.specials):
            raise ValueError(f"size must be > {len(cls.specials)}, got {size}")
        counts = Counter(w for t in texts for w in split_words(t))
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return cls([w for w, _ in ranked[: size - len(cls.specials)]])

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str, bos: bool = False) -> list[int]:
        ids = [self.stoi.get(w, self.unk_id) for w in split_words(text)]
        return [self.bos_id, *ids] if bos else ids

    def words(self, ids: Iterable[int]) -> list[str]:
        """Ids -> words, ``<pad>`` and ``<bos>`` dropped."""
        return [self.itos[int(i)] for i in ids if int(i) not in (self.pad_id, self.bos_id)]

    def decode(self, ids: Iterable[int]) -> str:
        text = " ".join(self.words(ids))
        return re.sub(r" ([.,!?;:])", r"\1", text)


def load_vader_lexicon(path: Path | None = None) -> dict[str, float]:
    """The VADER sentiment lexicon: word -> mean human valence in ``[-4, 4]`` (7 500 entries).

    Read from the ``vader`` asset (``vader_sentiment_lexicon.txt``, Latin-1, next to the rated
    snippets). Introduced in notebook 09, where it is the simulated annotator's hidden taste.
    """
    if path is None:
        path = asset_path("vader") / "vader_sentiment_lexicon.txt"
    lexicon = {}
    for line in Path(path).read_text(encoding="latin-1").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            lexicon[parts[0]] = float(parts[1])
    return lexicon


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
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        state["i"] += 1
        show()

    button_a.on_click(lambda _: pick(0))
    button_b.on_click(lambda _: pick(1))
    skip.on_click(lambda _: pick(None))
    show()
    return widgets.VBox([header, button_a, button_b, skip]), choices
