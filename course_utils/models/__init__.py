"""Whole networks: ``rnn_seq2seq`` (GRU translators, notebook 01), ``bert`` (04), ``gpt`` (05),
``bart`` (06 and 03), ``pretrained`` (the real MiniLM and SmolLM2, 04 and 05) and ``generation``
(greedy, temperature, top-k and top-p decoding, 05)."""
