"""Tests for course_utils.methods.anaphora: spans, attention mass, head scores, baselines, MiniLM."""

from __future__ import annotations

import pytest
import torch

from course_utils.methods.anaphora import (
    antecedent_attention,
    char_span_to_tokens,
    correct_by_head,
    evaluate_pairs,
    head_accuracy,
    model_attentions,
    nearest_candidate,
    record_token_spans,
    sink_shares,
    split_half_best_head,
    word_char_span,
)
from course_utils.metrics import wilson_interval


def test_word_char_span_whole_words_case_insensitive():
    text = "The king thanked the queen because she was kind."
    assert word_char_span(text, "king") == (4, 8)
    assert word_char_span(text, "KING") == (4, 8)
    assert word_char_span(text, "she") == (35, 38)  # not inside another word
    with pytest.raises(ValueError, match="does not occur"):
        word_char_span(text, "he")  # only inside "the", "she": no whole word
    with pytest.raises(ValueError, match="does not occur"):
        word_char_span(text, "prince")


def test_word_char_span_repeated_word_needs_an_index():
    text = "The man said that he knew he was late."
    with pytest.raises(ValueError, match="occurs 2 times.*occurrence"):
        word_char_span(text, "he")
    assert word_char_span(text, "he", occurrence=1) == (26, 28)
    with pytest.raises(ValueError, match="occurrence must be"):
        word_char_span(text, "he", occurrence=2)


def test_char_span_to_tokens_collects_word_pieces():
    # "[CLS] the h ##yen ##as ran [SEP]" for "the hyenas ran"
    offsets = [(0, 0), (0, 3), (4, 5), (5, 8), (8, 10), (11, 14), (0, 0)]
    assert char_span_to_tokens(offsets, 4, 10) == [2, 3, 4]
    assert char_span_to_tokens(offsets, 11, 14) == [5]
    with pytest.raises(ValueError, match="no token covers"):
        char_span_to_tokens(offsets, 20, 22)


def test_antecedent_attention_by_hand():
    # 2 layers, 1 head, 4 tokens; pronoun = token 3, candidates = [0] and [1, 2]
    layer0 = torch.tensor([[0.25] * 4] * 3 + [[0.1, 0.2, 0.3, 0.4]])
    layer1 = torch.tensor([[0.25] * 4] * 3 + [[0.7, 0.1, 0.1, 0.1]])
    attentions = [layer0[None, None], layer1[None, None]]
    mass = antecedent_attention(attentions, [3], [[0], [1, 2]])
    assert mass.shape == (2, 1, 2)
    assert torch.allclose(mass[0, 0], torch.tensor([0.1, 0.5]))
    assert torch.allclose(mass[1, 0], torch.tensor([0.7, 0.2]))
    # a pronoun of two pieces: mean over its rows (rows 2 and 3 of layer 0)
    both = antecedent_attention(attentions, range(2, 4), [[0], [1, 2]])
    assert torch.allclose(both[0, 0], torch.tensor([(0.25 + 0.1) / 2, (0.5 + 0.5) / 2]))


def test_antecedent_attention_rejects_bad_input():
    att = [torch.full((1, 2, 3, 3), 1 / 3)]
    with pytest.raises(TypeError, match="list of per-layer tensors"):
        antecedent_attention(torch.zeros(1, 2, 3, 3), [0], [[1]])
    with pytest.raises(ValueError, match=r"\[1, heads, T, T\]"):
        antecedent_attention([torch.zeros(2, 2, 3, 3)], [0], [[1]])
    with pytest.raises(ValueError, match="candidate_spans\\[1\\]"):
        antecedent_attention(att, [0], [[1], [5]])


def test_head_accuracy_and_ties():
    # N=3 records, 1 layer, 2 heads, 2 candidates
    masses = torch.tensor(
        [
            [[[0.6, 0.2], [0.3, 0.3]]],
            [[[0.1, 0.5], [0.2, 0.1]]],
            [[[0.4, 0.3], [0.0, 0.9]]],
        ]
    )
    answers = torch.tensor([0, 1, 1])
    correct = correct_by_head(masses, answers)
    assert correct.tolist() == [[[True, False]], [[True, False]], [[False, True]]]
    assert torch.allclose(head_accuracy(masses, answers), torch.tensor([[2 / 3, 1 / 3]]))


def test_nearest_candidate_and_wilson():
    assert nearest_candidate([9], [[1], [6]]) == 1
    assert nearest_candidate([1], [[7], [13]]) == 0  # cataphora: the following noun
    assert nearest_candidate([5], [[3], [7]]) == 0  # tie: the earlier one
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(3, 2)


def test_split_half_finds_a_perfect_head_and_keeps_pairs_together():
    generator = torch.Generator().manual_seed(0)
    correct = torch.rand(40, 2, 3, generator=generator) < 0.5
    correct[:, 1, 2] = True
    groups = [k // 2 for k in range(40)]
    result = split_half_best_head(correct, groups, seed=1)
    assert result["heads"] == [(1, 2), (1, 2)]
    assert result["estimate"] == 1.0
    with pytest.raises(ValueError, match="len\\(groups\\)"):
        split_half_best_head(correct, groups[:-1])


def test_sink_shares_by_hand():
    att = torch.tensor([[0.5, 0.2, 0.3], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6]])
    shares = sink_shares([att[None, None]], [0, 2])
    assert torch.allclose(shares, torch.tensor([(0.8 + 0.9 + 0.8) / 3]))


# ------------------------------------------------------------------ with the real MiniLM

RECORDS = [
    {"text": "The lions defeated the hyenas because they were weaker.", "pronoun": "they",
     "candidates": ["lions", "hyenas"], "answer": 1, "pair_id": 0},
    {"text": "The lions defeated the hyenas because they were stronger.", "pronoun": "they",
     "candidates": ["lions", "hyenas"], "answer": 0, "pair_id": 0},
    {"text": "The king thanked the queen because she was kind.", "pronoun": "she",
     "candidates": ["king", "queen"], "answer": 1, "pair_id": 1},
    {"text": "The king thanked the queen because he was kind.", "pronoun": "he",
     "candidates": ["king", "queen"], "answer": 0, "pair_id": 1},
]  # fmt: skip


@pytest.fixture(scope="module")
def minilm():
    from course_utils.models.pretrained import load_minilm

    course, tokenizer = load_minilm("course")
    hf, _ = load_minilm("hf")
    return course, hf, tokenizer


def test_record_spans_handle_word_pieces(minilm):
    _, _, tokenizer = minilm
    encoding, pronoun, spans = record_token_spans(RECORDS[0], tokenizer)
    tokens = tokenizer.convert_ids_to_tokens(encoding["input_ids"][0])
    assert [tokens[i] for i in spans[1]] == ["h", "##yen", "##as"]
    assert [tokens[i] for i in spans[0]] == ["lions"] and [tokens[i] for i in pronoun] == ["they"]
    bad = dict(RECORDS[2], candidates=["king", "prince"])
    with pytest.raises(ValueError, match="'prince' does not occur"):
        record_token_spans(bad, tokenizer)
    twice = dict(RECORDS[3], text="The king told the queen that he thought he was kind.")
    with pytest.raises(ValueError, match="occurs 2 times"):
        record_token_spans(twice, tokenizer)
    _, pronoun, _ = record_token_spans(dict(twice, pronoun_occurrence=1), tokenizer)
    assert pronoun == [9]  # [CLS] the king told the queen that he thought he


def test_evaluate_pairs_same_for_course_and_hf_models(minilm):
    course, hf, tokenizer = minilm
    ours = evaluate_pairs(RECORDS, course, tokenizer)
    ref = evaluate_pairs(RECORDS, hf, tokenizer)
    assert ours["per_head_accuracy"].shape == (6, 12)
    assert torch.allclose(ours["masses"], ref["masses"], atol=1e-5)
    assert torch.equal(ours["per_head_accuracy"], ref["per_head_accuracy"])
    # nearest candidate is always the second noun; first candidate is the first noun
    assert ours["nearest_baseline"] == 0.5 and ours["first_baseline"] == 0.5
    assert ours["masses"].shape == (4, 6, 12, 2) and ours["n"] == 4
    assert 0.0 < float(ours["sink_share"][-1]) < 1.0
    assert ours["best_head_ci"][0] <= ours["best_head_acc"] <= ours["best_head_ci"][1]


def test_a_candidate_in_the_possessive_is_found():
    text = "Anna's dog chased the doctors' cat because it was hungry."
    assert word_char_span(text, "Anna") == (0, 4)
    assert word_char_span(text, "doctors") == (22, 29)
    assert text[slice(*word_char_span(text, "it"))] == "it"
    with pytest.raises(ValueError, match="does not occur as a whole word"):
        word_char_span("Annabel's dog", "Anna")


def test_evaluate_pairs_can_attend_from_the_last_word(minilm):
    course, _, tokenizer = minilm
    from_pronoun = evaluate_pairs(RECORDS, course, tokenizer)
    from_last = evaluate_pairs(RECORDS, course, tokenizer, query="last_word")
    encoding, _, spans = record_token_spans(RECORDS[0], tokenizer)
    attentions = model_attentions(course, encoding)
    last = tokenizer.convert_ids_to_tokens(encoding["input_ids"][0]).index("weaker")
    expected = antecedent_attention(attentions, [last], spans)
    assert torch.allclose(from_last["masses"][0], expected, atol=1e-6)
    assert not torch.allclose(from_last["masses"], from_pronoun["masses"])
    assert from_last["nearest_baseline"] == from_pronoun["nearest_baseline"]
    with pytest.raises(ValueError, match="query must be one of"):
        evaluate_pairs(RECORDS, course, tokenizer, query="flip")
