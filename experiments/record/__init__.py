"""A sweep's own record, written as trials report and finish.

``csvio`` encodes rows, ``trial`` holds one trial and the rules for how it ended,
``writer`` keeps the files; ``experiments.results`` reads them back.
"""
