"""``cnn-tune run`` as a plain script, for ``ray submit cluster.yaml experiments/run.py -- EXPERIMENT [options]``.

``ray submit`` copies this one file to the head node and runs it with ``python``; the
project itself is installed there by cluster.yaml's setup commands.
"""

import sys

from experiments.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))
