#!/usr/bin/env bash
# Here (no GPU): fetch the wheels the GPU machine lacks, for its Python 3.12, into .whl/.
# That machine has JAX, NumPy, pandas, PyArrow, scikit-learn, PyYAML; it lacks Ray, Keras,
# pydantic, mlxtend and the search libraries. Ray's wheel is over the 64 MiB a call may carry,
# so it is repacked without the parts cnn-tune never imports (Java jars, RLlib, Serve, ...).
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.whl/' .git/info/exclude || echo '/.whl/' >> .git/info/exclude
rm -rf .whl && mkdir .whl
pins() { for name in "$@"; do grep -i "^$name==" constraints.txt; done; }
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux1_x86_64 -d .whl \
  $(pins ray keras namex optree pydantic pydantic-core annotated-types typing-inspection mlxtend \
         hyperopt bayesian-optimization optuna alembic sqlalchemy mako colorlog cloudpickle py4j \
         tensorboardX protobuf msgpack click jsonschema jsonschema-specifications referencing rpds-py \
         rich greenlet)
ray_wheel=$(ls .whl/ray-*.whl)
python3 - "$ray_wheel" <<'PY'
import sys, zipfile, os
source = sys.argv[1]
drop = ("ray/jars/", "ray/rllib/", "ray/serve/", "ray/llm/", "ray/data/", "ray/cpp/", "ray/core/src/ray/gcs/gcs_server.debug")
trimmed = source + ".trimmed"
with zipfile.ZipFile(source) as src, zipfile.ZipFile(trimmed, "w", zipfile.ZIP_DEFLATED) as out:
    for item in src.infolist():
        if not item.filename.startswith(drop):
            out.writestr(item, src.read(item.filename))
os.replace(trimmed, source)
PY
du -sh .whl; ls .whl
