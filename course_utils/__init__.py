"""Helper package for the lecture notebooks *Attention and Transformers, from alignment to RLHF*.

Modules follow the course's concepts (``attention``, ``alignment``, ``seq2seq``, ``data``,
``assets``, ``train``, ``viz``, ``metrics``, ``report`` ...). Importing the package has no
side effects: nothing is downloaded, trained or seeded until a function is called.
"""

__version__ = "0.1.0"
