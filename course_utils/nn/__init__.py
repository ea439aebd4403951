"""Building blocks of the networks: ``attention`` (notebooks 01-02), ``blocks`` (embeddings,
feed-forward, encoder and decoder blocks; notebook 04), ``lora`` (notebook 08)."""
