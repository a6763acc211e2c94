"""The shared rules every layer depends on, and that depend on nothing of the project.

``errors`` (bad input as one line), ``registry`` (names → lazily imported entries),
``metrics`` (what is reported and which way is better), ``pareto`` (the front of two
objectives), ``statuses`` (how a trial and a sweep end), ``schema`` (the record's columns),
``files`` (YAML by name or path).
"""
