"""What the course does with models and data: ``train`` and ``translation`` (01), ``alignment`` (IBM Model 1 and
AER, 01), ``anaphora`` (03), ``transfer`` (04, 07), ``noising`` (06), ``rlhf`` and
``annotator`` (09)."""
