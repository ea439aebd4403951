"""The attention explorer: type a sentence, pick a model, a layer and a head, see the attention.

Introduced in notebook 03, for class. A lecturer types any sentence, picks a model (MiniLM, the
notebook's translator, any model given as a function), a layer, a head and the word to attend
from (a pronoun by default), and sees that head's whole attention matrix and, as bars, how much
the chosen word attends to each other word. It is made of ``ipywidgets`` and matplotlib only
(no network, no JavaScript of its own), so it works in Jupyter, JupyterLab, VS Code and Colab.

Displayed, it also carries a PNG of its first state: a stored notebook shows that picture where
a live kernel shows the controls. The drawing is :meth:`AttentionExplorer.figure`; tests drive
the controls' callbacks headless.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from .viz import attention_heatmap

__all__ = [
    "PRONOUNS",
    "AttentionExplorer",
    "ModelAttention",
]

# A model for the explorer: sentence -> (tokens, per-layer attention [heads, T, T]).
ModelAttention = Callable[[str], tuple[list[str], Sequence[torch.Tensor]]]
PRONOUNS = ("it", "he", "she", "they", "him", "her", "them", "its", "his", "their")


def _default_query(tokens: Sequence[str]) -> int:
    """Index of the first pronoun among ``tokens`` (``Ġit``, ``it``, ``##it`` all count), else 0."""
    for i, token in enumerate(tokens):
        if token.lower().lstrip("Ġ▁#") in PRONOUNS:
            return i
    return 0


class AttentionExplorer:
    """Widget: a sentence box, model / layer / head / query-word controls, and the picture.

    Args:
        models: ``{name: function(sentence) -> (tokens, [per layer: tensor [heads, T, T]])}``.
        sentence: the first sentence shown.

    The current state is in :attr:`tokens`, :attr:`attentions`, :attr:`query_index` and
    :meth:`query_row` (the attention of the query word, ``[T]``); every change of a control
    recomputes it and redraws. ``display(explorer)`` shows the controls.
    """

    def __init__(self, models: dict[str, ModelAttention], sentence: str):
        import ipywidgets as widgets

        if not models:
            raise ValueError("models must name at least one model")
        self.models = models
        self.sentence = widgets.Text(value=sentence, description="sentence",
                                     continuous_update=False, layout={"width": "95%"})  # fmt: skip
        self.model = widgets.Dropdown(options=list(models), description="model")
        self.layer = widgets.IntSlider(value=1, min=1, max=1, description="layer")
        self.head = widgets.IntSlider(value=0, min=0, max=0, description="head")
        self.query = widgets.Dropdown(options=[], description="from word")
        self.output = widgets.Output()
        self.tokens: list[str] = []
        self.attentions: list[torch.Tensor] = []
        self.query_index = 0
        self._busy = False
        self._run_model()
        self.sentence.observe(self._on_input, names="value")
        self.model.observe(self._on_input, names="value")
        for control in (self.layer, self.head, self.query):
            control.observe(self._on_control, names="value")
        controls = widgets.HBox([self.model, self.layer, self.head, self.query])
        self.widget = widgets.VBox([self.sentence, controls, self.output])
        self._draw()

    # ---- state -------------------------------------------------------------------------------

    def _run_model(self) -> None:
        """Run the chosen model on the sentence; reset the ranges of the controls."""
        tokens, attentions = self.models[self.model.value](self.sentence.value)
        if not attentions or attentions[0].shape[-1] != len(tokens):
            raise ValueError(
                f"model {self.model.value!r} returned attention that does not fit {tokens}"
            )
        self.tokens, self.attentions = list(tokens), [a.detach().float().cpu() for a in attentions]
        self._busy = True  # setting ranges fires the observers: draw once, at the end
        try:
            self.layer.max, self.layer.value = (
                len(self.attentions),
                min(self.layer.value, len(self.attentions)),
            )
            heads = self.attentions[0].shape[0]
            self.head.max, self.head.value = heads - 1, min(self.head.value, heads - 1)
            self.query.options = [(f"{i}: {t}", i) for i, t in enumerate(self.tokens)]
            self.query.value = _default_query(self.tokens)
        finally:
            self._busy = False
        self.query_index = self.query.value

    def weights(self) -> torch.Tensor:
        """The chosen head's attention ``[T, T]`` (rows: attending tokens)."""
        return self.attentions[self.layer.value - 1][self.head.value]

    def query_row(self) -> torch.Tensor:
        """How much the query word attends to each token, ``[T]``."""
        return self.weights()[self.query_index]

    # ---- callbacks ---------------------------------------------------------------------------

    def _on_input(self, change) -> None:
        self._run_model()
        self._draw()

    def _on_control(self, change) -> None:
        if self._busy:
            return
        self.query_index = self.query.value
        self._draw()

    # ---- pictures ----------------------------------------------------------------------------

    def figure(self) -> plt.Figure:
        """The current picture: the head's attention matrix and the query word's row as bars."""
        fig, (left, right) = plt.subplots(
            1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [1, 1.2]}
        )
        title = f"{self.model.value}: layer {self.layer.value}, head {self.head.value}"
        attention_heatmap(
            self.weights(), self.tokens, self.tokens, ax=left, title=title, cbar=False
        )
        row = self.query_row().numpy()
        colours = ["tab:red" if i in np.argsort(row)[-3:] else "tab:blue" for i in range(len(row))]
        right.bar(range(len(row)), row, color=colours)
        right.set_xticks(range(len(row)), self.tokens, rotation=60, ha="right")
        right.set(ylabel="attention weight", ylim=(0, 1),
                  title=f"from '{self.tokens[self.query_index]}' (the three largest in red)")  # fmt: skip
        fig.tight_layout()
        return fig

    def _draw(self) -> None:
        from IPython.display import clear_output, display

        fig = self.figure()
        with self.output:
            clear_output(wait=True)
            display(fig)
        plt.close(fig)

    def png(self) -> str:
        """The current picture as base64 PNG (what a stored notebook shows)."""
        fig = self.figure()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight")
        plt.close(fig)
        return base64.b64encode(buffer.getvalue()).decode()

    def _repr_mimebundle_(self, **kwargs) -> dict:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["image/png"] = self.png()
        return bundle
