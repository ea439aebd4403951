"""Preference pairs for a real chat model: a one-sentence answer against the same answer padded.

Introduced in notebook 09b (LoRA + DPO on SmolLM2). :func:`generate_pairs` writes the project's
preference pairs (``data/smollm2_preferences.jsonl``): short factual questions from seeded
templates (capitals, languages and continents of countries, what animals eat, where they live
and how many legs they have, opposites, colours, definitions, jobs), each with two replies that
differ in **one** property that a student can see and a program can score:

- ``chosen``: the answer in one sentence (``The capital of Kenya is Nairobi.``);
- ``rejected``: the same sentence followed by one or two filler sentences that add nothing
  (``The capital of Kenya is Nairobi. I hope this answer helps you.``).

The scoring program is :func:`count_sentences` / :func:`is_concise`; every chosen reply is
concise and no rejected one is (the unit tests check each pair). The first ``test_size``
pairs after a seeded shuffle are held out; every question occurs once, so no held-out prompt
is seen in training. The questions are plain text: the notebook puts them into SmolLM2's chat
template (:func:`course_utils.methods.rlhf.chat_ids`).
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from datasets import Dataset, DatasetDict

from ..paths import data_dir
from .jsonl import ensure_file, read_jsonl, write_jsonl

__all__ = [
    "FILLERS",
    "PREFERENCES_FILE",
    "PREFERENCES_SEED",
    "count_sentences",
    "generate_pairs",
    "is_concise",
    "load_pairs",
    "write_pairs",
]

PREFERENCES_FILE = "smollm2_preferences.jsonl"
PREFERENCES_SEED = 2023  # the year of DPO (Rafailov et al.)

# (country, capital, language, continent or None where one word would mislead)
_COUNTRIES = [
    ("France", "Paris", "French", "Europe"),
    ("Germany", "Berlin", "German", "Europe"),
    ("Italy", "Rome", "Italian", "Europe"),
    ("Spain", "Madrid", "Spanish", "Europe"),
    ("Portugal", "Lisbon", "Portuguese", "Europe"),
    ("Greece", "Athens", "Greek", "Europe"),
    ("Poland", "Warsaw", "Polish", "Europe"),
    ("Sweden", "Stockholm", "Swedish", "Europe"),
    ("Norway", "Oslo", "Norwegian", "Europe"),
    ("Finland", "Helsinki", "Finnish", "Europe"),
    ("Hungary", "Budapest", "Hungarian", "Europe"),
    ("the Netherlands", "Amsterdam", "Dutch", "Europe"),
    ("Japan", "Tokyo", "Japanese", "Asia"),
    ("China", "Beijing", "Mandarin Chinese", "Asia"),
    ("South Korea", "Seoul", "Korean", "Asia"),
    ("Thailand", "Bangkok", "Thai", "Asia"),
    ("Vietnam", "Hanoi", "Vietnamese", "Asia"),
    ("Iran", "Tehran", "Persian", "Asia"),
    ("Egypt", "Cairo", "Arabic", "Africa"),
    ("Kenya", "Nairobi", "Swahili and English", "Africa"),
    ("Ethiopia", "Addis Ababa", "Amharic", "Africa"),
    ("Morocco", "Rabat", "Arabic and Berber", "Africa"),
    ("Brazil", "Brasilia", "Portuguese", "South America"),
    ("Argentina", "Buenos Aires", "Spanish", "South America"),
    ("Peru", "Lima", "Spanish", "South America"),
    ("Chile", "Santiago", "Spanish", "South America"),
    ("Mexico", "Mexico City", "Spanish", "North America"),
    ("Canada", "Ottawa", "English and French", "North America"),
    ("Cuba", "Havana", "Spanish", "North America"),
    ("Australia", "Canberra", "English", None),
]
# (plural, singular with its article, what they eat, where they live, legs)
_ANIMALS = [
    ("cows", "a cow", "grass and hay", "on farms and in fields", "four"),
    ("horses", "a horse", "grass, hay and oats", "in fields and stables", "four"),
    ("rabbits", "a rabbit", "grass and leafy plants", "in fields and meadows, often in burrows", "four"),
    ("goats", "a goat", "grass, leaves and shrubs", "on hills, mountains and farms", "four"),
    ("pandas", "a panda", "bamboo", "in the mountain forests of China", "four"),
    ("koalas", "a koala", "eucalyptus leaves", "in the eucalyptus forests of Australia", "four"),
    ("penguins", "a penguin", "fish, squid and krill", "on the cold coasts of the Southern Hemisphere", "two"),
    ("owls", "an owl", "mice, insects and small birds", "in forests, fields and barns", "two"),
    ("bees", "a bee", "nectar and pollen from flowers", "in hives and nests", "six"),
    ("ants", "an ant", "seeds, insects and sweet food", "in colonies, often in nests under the ground", "six"),
    ("spiders", "a spider", "insects", "almost everywhere, from houses to forests", "eight"),
    ("frogs", "a frog", "insects and worms", "near ponds, lakes and rivers", "four"),
    ("camels", "a camel", "desert plants, grass and leaves", "in the deserts of Africa and Asia", "four"),
    ("polar bears", "a polar bear", "mostly seals", "in the Arctic", "four"),
    ("lions", "a lion", "zebras, antelopes and other large animals", "on the grasslands of Africa", "four"),
    ("chickens", "a chicken", "seeds, grains and insects", "on farms", "two"),
    ("ducks", "a duck", "water plants, seeds and insects", "near ponds, lakes and rivers", "two"),
    ("squirrels", "a squirrel", "nuts, seeds and fruit", "in trees in forests and parks", "four"),
    ("zebras", "a zebra", "grass", "on the grasslands of Africa", "four"),
    ("ostriches", "an ostrich", "plants, seeds and insects", "in the dry grasslands of Africa", "two"),
]  # fmt: skip
_OPPOSITES = [
    ("hot", "cold"), ("big", "small"), ("up", "down"), ("day", "night"), ("fast", "slow"),
    ("happy", "sad"), ("light", "dark"), ("open", "closed"), ("early", "late"), ("full", "empty"),
    ("wet", "dry"), ("high", "low"), ("hard", "soft"), ("loud", "quiet"), ("rich", "poor"),
    ("strong", "weak"), ("thick", "thin"), ("inside", "outside"), ("always", "never"),
    ("win", "lose"),
]  # fmt: skip
# (the thing as asked about, its answer sentence)
_COLOURS = [
    ("a ripe banana", "A ripe banana is yellow."),
    ("grass", "Grass is green."),
    ("snow", "Snow is white."),
    ("coal", "Coal is black."),
    ("a ripe tomato", "A ripe tomato is red."),
    ("a carrot", "A carrot is usually orange."),
    ("a lemon", "A lemon is yellow."),
    ("milk", "Milk is white."),
    ("chocolate", "Chocolate is brown."),
    ("an emerald", "An emerald is green."),
    ("a ruby", "A ruby is red."),
    ("a flamingo", "A flamingo is pink."),
    ("a crow", "A crow is black."),
    ("a pumpkin", "A pumpkin is usually orange."),
    ("the sky on a clear day", "The sky on a clear day is blue."),
]
_DEFINITIONS = [
    ("a volcano", "A volcano is a mountain where hot melted rock comes up from inside the Earth."),
    ("photosynthesis", "Photosynthesis is the way plants use sunlight, water and air to make their food."),
    ("gravity", "Gravity is the force that pulls objects towards each other, which is why things fall."),
    ("a noun", "A noun is a word that names a person, a place, a thing or an idea."),
    ("a verb", "A verb is a word that describes an action or a state, such as run or be."),
    ("an island", "An island is a piece of land with water all around it."),
    ("a desert", "A desert is a place that gets very little rain."),
    ("a glacier", "A glacier is a large mass of ice that moves slowly over land."),
    ("a planet", "A planet is a large round body that travels around a star."),
    ("a mammal", "A mammal is a warm-blooded animal that feeds its young with milk."),
    ("an atom", "An atom is the smallest unit of a chemical element."),
    ("a triangle", "A triangle is a flat shape with three straight sides."),
    ("a square", "A square is a flat shape with four equal sides and four right angles."),
    ("a thermometer", "A thermometer is a tool that measures temperature."),
    ("a telescope", "A telescope is an instrument that makes distant objects look closer."),
    ("a library", "A library is a place where people can borrow and read books."),
    ("a river", "A river is a large stream of water that flows into a sea or a lake."),
    ("evaporation", "Evaporation is the change of a liquid into a gas, as when a puddle dries."),
    ("a fraction", "A fraction is a part of a whole, written as one number over another."),
    ("a calendar", "A calendar is a chart that shows the days, weeks and months of a year."),
]  # fmt: skip
_JOBS = [
    ("a doctor", "A doctor finds out why people are ill and helps them get better."),
    ("a teacher", "A teacher helps students learn."),
    ("a baker", "A baker makes bread and cakes."),
    ("a pilot", "A pilot flies aircraft."),
    ("a farmer", "A farmer grows crops and raises animals."),
    ("a firefighter", "A firefighter puts out fires and rescues people."),
    ("a dentist", "A dentist looks after people's teeth."),
    ("a chef", "A chef cooks food in a restaurant."),
    ("a librarian", "A librarian looks after a library and helps people find books."),
    ("a plumber", "A plumber fixes water pipes, taps and drains."),
    ("a carpenter", "A carpenter builds and repairs things made of wood."),
    ("a vet", "A vet treats sick and injured animals."),
    ("an architect", "An architect designs buildings."),
    ("a journalist", "A journalist gathers news and writes reports about it."),
    ("a gardener", "A gardener looks after plants in a garden or a park."),
]
FILLERS = [  # sentences that add nothing to the answer
    "This is a question that many people ask.",
    "I hope this answer helps you.",
    "Let me know if you would like to know more.",
    "It is a very interesting topic to learn about.",
    "There is a lot more that could be said about this.",
    "Many people find this fact surprising.",
    "This is something that is often discussed.",
    "It is always good to learn new things.",
    "Thank you for asking such a good question.",
    "Learning about the world can be a lot of fun.",
    "In general, this is quite well known.",
    "Of course, there are many details to consider.",
]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def count_sentences(reply: str) -> int:
    """The number of sentences in ``reply``: pieces between ``.``, ``!`` or ``?`` and whitespace.

    ``"Paris is the capital. It is big."`` -> 2; ``""`` -> 0; a number such as ``3.5`` does not
    end a sentence (no space after the point), an abbreviation such as ``Dr. Who`` does (the
    scorer is a program, not a linguist). Introduced in notebook 09b.
    """
    if not isinstance(reply, str):
        raise TypeError(f"reply must be a str, got {type(reply).__name__}")
    return len([piece for piece in _SENTENCE_END.split(reply.strip()) if piece])


def is_concise(reply: str) -> bool:
    """The property the preference pairs teach: exactly one sentence, ended by ``.``, ``!`` or
    ``?`` (a reply cut off mid-sentence by a token limit is not concise). Introduced in notebook
    09b."""
    text = reply.strip()
    return count_sentences(text) == 1 and text[-1:] in (".", "!", "?")


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _questions() -> list[tuple[str, str, str]]:
    """Every ``(topic, question, one-sentence answer)`` of the templates, in a fixed order."""
    rows = []
    for country, capital, language, continent in _COUNTRIES:
        rows.append(("capital", f"What is the capital of {country}?",
                     f"The capital of {country} is {capital}."))  # fmt: skip
        rows.append(("language", f"What language do people speak in {country}?",
                     f"People in {country} mostly speak {language}."))  # fmt: skip
        if continent is not None:
            rows.append(("continent", f"On which continent is {country}?",
                         f"{_first_upper(country)} is in {continent}."))  # fmt: skip
    for plural, singular, food, home, legs in _ANIMALS:
        rows.append(("food", f"What do {plural} eat?", f"{_first_upper(plural)} eat {food}."))
        rows.append(("home", f"Where do {plural} live?", f"{_first_upper(plural)} live {home}."))
        rows.append(("legs", f"How many legs does {singular} have?",
                     f"{_first_upper(singular)} has {legs} legs."))  # fmt: skip
    for word, opposite in _OPPOSITES:
        rows.append(("opposite", f"What is the opposite of {word}?",
                     f"The opposite of {word} is {opposite}."))  # fmt: skip
    for thing, answer in _COLOURS:
        rows.append(("colour", f"What colour is {thing}?", answer))
    for term, answer in _DEFINITIONS:
        rows.append(("definition", f"What is {term}?", answer))
    for job, answer in _JOBS:
        rows.append(("job", f"What does {job} do?", answer))
    return rows


def generate_pairs(
    seed: int = PREFERENCES_SEED, num_pairs: int = 200, test_size: int = 40
) -> list[dict]:
    """The preference pairs: ``num_pairs`` questions drawn from the templates (without
    repetition, shuffled by ``seed``), the first ``test_size`` held out.

    Each record: ``{"id", "split" ("train" or "test"), "topic", "prompt", "chosen",
    "rejected"}``; ``chosen`` is the one-sentence answer, ``rejected`` the same answer followed
    by one or two different :data:`FILLERS` (chosen by ``seed``). Introduced in notebook 09b.
    """
    questions = _questions()
    if not 0 < num_pairs <= len(questions):
        raise ValueError(f"num_pairs must be in 1..{len(questions)}, got {num_pairs}")
    if not 0 < test_size < num_pairs:
        raise ValueError(f"test_size must be in 1..{num_pairs - 1}, got {test_size}")
    rng = random.Random(seed)
    picked = rng.sample(questions, num_pairs)
    rows = []
    for i, (topic, prompt, answer) in enumerate(picked):
        fillers = rng.sample(FILLERS, rng.choice((1, 2)))
        rows.append(
            {
                "id": i,
                "split": "test" if i < test_size else "train",
                "topic": topic,
                "prompt": prompt,
                "chosen": answer,
                "rejected": " ".join([answer, *fillers]),
            }
        )
    return rows


def write_pairs(rows: list[dict] | None = None, path: Path | None = None) -> Path:
    """Write the pairs as JSON lines (default ``data/smollm2_preferences.jsonl``, from the
    seed). Introduced in notebook 09b."""
    rows = generate_pairs() if rows is None else rows
    return write_jsonl(rows, data_dir() / PREFERENCES_FILE if path is None else path)


def load_pairs(path: Path | None = None) -> DatasetDict:
    """Load the pairs as ``DatasetDict(train, test)`` with columns ``id``, ``topic``, ``prompt``,
    ``chosen``, ``rejected``. Regenerates the file from the seed when it is missing.
    Introduced in notebook 09b.
    """
    path = ensure_file(PREFERENCES_FILE if path is None else path, generate_pairs)
    columns = ("id", "topic", "prompt", "chosen", "rejected")
    rows = read_jsonl(path, required=("split", *columns))
    return DatasetDict(
        {
            split: Dataset.from_dict(
                {c: [r[c] for r in rows if r["split"] == split] for c in columns}
            )
            for split in ("train", "test")
        }
    )
