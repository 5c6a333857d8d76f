#!/usr/bin/env bash
# trendcast "auto" on every 7th M3 monthly series (204) for several selection margins,
# on the validation split (where the default was chosen) and the competition's test
# split. Writes benchmarks/results/selection-margin/<split>-<margin>.md (and .json).
# Run from the repository root with the benchmark environment (make bench builds it):
#     bash benchmarks/selection_margin.sh
set -euo pipefail
PY=${PY:-.venv-bench/bin/python}
OUT=benchmarks/results/selection-margin
mkdir -p "$OUT"
for split in validation test; do
  for margin in 0.1 0.2 0.3 0.4 0.99; do
    "$PY" benchmarks/accuracy.py --subset monthly --every 7 --methods tc-auto \
      --split "$split" --selection-margin "$margin" --out "$OUT/$split-$margin.md"
  done
done
