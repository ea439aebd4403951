"""What the course does with models and data: ``train`` and ``translation`` (01), ``alignment`` (IBM Model 1 and
AER, 01), ``anaphora`` (03), ``transfer`` (04, 07), ``extractive_qa`` (04b, 07c), ``noising``
(06), ``rlhf`` (09, 09b) and ``annotator`` (09)."""
