"""Render benchmark of the application form (R-APP-5): forms per second and latency, PDF and Word.

    .venv/bin/python services/documents/bench_render.py [--count 1000] [--formats pdf,docx]

Renders ``count`` varied made-up forms (names, addresses, work histories of 1-9 rows, a registry
photo on every third form, a freshly signed form code each) on one core after a warm-up, and prints
a table and one JSON line. The goal is at least 50 PDF forms per second on one warm core.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import platform
import statistics
import time
from collections.abc import Callable

from PIL import Image
from tqr_documents.domain.demo_forms import demo_form
from tqr_documents.domain.form import ApplicationForm
from tqr_documents.domain.form_code import FormCodeSigner
from tqr_documents.rendering import render_docx, render_pdf

WARM_UP = 20
PDF_GOAL_PER_SECOND = 50.0


def _photos() -> list[bytes]:
    photos = []
    for shade in range(5):
        out = io.BytesIO()
        Image.new("RGB", (360, 480), (40 * shade, 120, 200)).save(out, format="JPEG")
        photos.append(out.getvalue())
    return photos


def _workload(count: int) -> list[tuple[ApplicationForm, str]]:
    signer = FormCodeSigner({"BENCH": b"bench-key-not-a-secret-0123456789"}, "BENCH")
    photos = _photos()
    forms = [
        demo_form(seed, with_photo=photos[seed % 5] if seed % 3 == 0 else None, history_rows=1 + seed % 9)
        for seed in range(count)
    ]
    return [(form, signer.sign_form(form)) for form in forms]


def _measure(render: Callable[[ApplicationForm, str], bytes], work: list[tuple[ApplicationForm, str]]) -> dict:
    for form, code in work[:WARM_UP]:
        render(form, code)
    timings: list[float] = []
    total_bytes = 0
    started = time.perf_counter()
    for form, code in work:
        t0 = time.perf_counter()
        total_bytes += len(render(form, code))
        timings.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - started
    timings.sort()
    return {
        "forms": len(work),
        "forms_per_second": round(len(work) / elapsed, 1),
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))], 2),
        "max_ms": round(timings[-1], 2),
        "mean_kib": round(total_bytes / len(work) / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--formats", default="pdf,docx")
    args = parser.parse_args()

    renderers = {"pdf": render_pdf, "docx": render_docx}
    work = _workload(args.count)
    results = {name: _measure(renderers[name], work) for name in args.formats.split(",")}

    print(f"{'format':<6} {'forms':>6} {'forms/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'KiB':>7}")
    for name, r in results.items():
        print(
            f"{name:<6} {r['forms']:>6} {r['forms_per_second']:>9} {r['p50_ms']:>8} {r['p99_ms']:>8}"
            f" {r['max_ms']:>8} {r['mean_kib']:>7}"
        )
    if "pdf" in results:
        verdict = "met" if results["pdf"]["forms_per_second"] >= PDF_GOAL_PER_SECOND else "NOT met"
        print(f"goal of {PDF_GOAL_PER_SECOND:.0f} PDF forms/s on one core: {verdict}")
    summary = {
        "bench": "documents.render",
        "python": platform.python_version(),
        "rl_accel": importlib.util.find_spec("_rl_accel") is not None,
        **{name: r for name, r in results.items()},
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
