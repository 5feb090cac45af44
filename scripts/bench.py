"""Benchmarks (not tests): `make bench` or `python -m scripts.bench pdf [--cases N]`.

Synthetic corpora are made by cloning the real records under new ids, so the text and
figures are realistic. Each measurement runs in a child process so that its peak memory
(ru_maxrss) is its own.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def synthetic_library(n: int):
    from scripts.casebook.library import build_library, load_library

    real, _ = load_library(ROOT)
    cases = []
    for i in range(n):
        base = real.cases[i % len(real.cases)]
        cases.append(base.model_copy(update={"id": f"{base.id}-x{i}", "title": f"{base.title}（样本{i}）"}))
    return build_library(cases, real.vocab)


def measure_pdf(n: int | None) -> dict:
    """Child process: one whole-library volume from the real cases or n synthetic ones."""
    from scripts.casebook.library import load_library
    from scripts.casebook.pdf import write_volumes

    library = load_library(ROOT)[0] if n is None else synthetic_library(n)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        [path] = write_volumes(library, Path(out), ROOT / "overrides" / "print", {"library"})
        seconds = time.perf_counter() - start
        size = path.stat().st_size
    return {"cases": len(library.cases), "seconds": round(seconds, 1), "bytes": size,
            "kb_per_case": round(size / 1024 / len(library.cases), 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def run_child(kind: str, n: int | None) -> dict:
    args = [sys.executable, "-m", "scripts.bench", "--child", kind] + ([] if n is None else ["--cases", str(n)])
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["pdf"], nargs="?", default="pdf")
    parser.add_argument("--cases", type=int, nargs="*", default=None, help="synthetic sizes (default: real, 1000)")
    parser.add_argument("--child", choices=["pdf"])
    args = parser.parse_args()
    if args.child:
        n = args.cases[0] if args.cases else None
        print(json.dumps(measure_pdf(n)))
        return
    sizes = [None] + (args.cases if args.cases is not None else [1000])
    print("PDF volume (whole library): cases, seconds, size, KB/case, peak RSS")
    for n in sizes:
        r = run_child("pdf", n)
        print(f"  {'real' if n is None else 'synthetic':9} {r['cases']:5d} cases  {r['seconds']:7.1f} s  "
              f"{r['bytes'] / 1e6:6.1f} MB  {r['kb_per_case']:6.1f} KB/case  peak {r['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
