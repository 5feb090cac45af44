"""Checks a library in a fresh interpreter, for tests/test_check_parallel.py: the second process
is forked only when no other thread runs (validate.can_fork), and a test session keeps server
threads alive. `python tests/check_harness.py <request.pickle> <result.pickle>`; the request
names what to run, the result holds what it gave and which files the second process checked."""
from __future__ import annotations

import pickle
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.casebook import validate as checking  # noqa: E402
from scripts.casebook.library import load_library  # noqa: E402
from scripts.casebook.vocab import load_vocabularies  # noqa: E402


def run(request: dict) -> dict:
    root, options = Path(request["root"]), request.get("options", {})
    taken: list[str] = []  # displays of the results that came back from the second process
    expand = checking._expand
    checking._expand = lambda compact, display: taken.append(display) or expand(compact, display)
    if request.get("second_process_fails"):
        def fail(result):
            raise RuntimeError("the second process fails")
        checking._compact = fail  # runs only in the second process
    if "parallel_min" in request:
        checking.PARALLEL_MIN = request["parallel_min"]
    out: dict = {"threads": threading.active_count()}
    if request.get("what") == "library":
        library, report = load_library(root, **options)
        out["cases"], out["catalogs"] = library.cases, library.catalogs
    else:
        vocab = load_vocabularies(root / "cases" / "_vocab", root)
        report = checking.validate(root / "cases", vocab, root, **options)
        if request.get("again_with_cache"):
            examined = []
            examine = checking._examine
            checking._examine = lambda *args: examined.append(args[1]) or examine(*args)
            again = checking.validate(root / "cases", vocab, root, **options)
            out["examined_again"] = examined
            out["same_objects_again"] = [a.case is b.case for a, b in zip(again.records, report.records)]
            out["again"] = again
    out["report"], out["taken"] = report, taken
    return out


if __name__ == "__main__":
    request = pickle.loads(Path(sys.argv[1]).read_bytes())
    Path(sys.argv[2]).write_bytes(pickle.dumps(run(request)))
