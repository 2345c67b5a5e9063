"""Render benchmark of the application form (R-APP-5): forms per second and latency, PDF and Word,
and beside them the time of a cached download through the real gRPC service.

    .venv/bin/python -m tools.bench_render [--count 1000] [--formats pdf,docx] [--downloads 200]

Renders ``count`` varied made-up forms (names, addresses, work histories of 1-9 rows, a registry
photo on every third form, a freshly signed form code each) on one core after a warm-up. Then starts
the documents service in-process (its real ServiceHost on SQLite, without the broker) with a double
of the application service on its own gRPC server, and times ``downloads`` PDF downloads of one
application whose rendering is cached: each reads the current data from the application service,
hashes it, finds the cached file and streams it in 64 KiB chunks. Prints one table and one JSON line.
The goal is at least 100 PDF forms per second on one warm core.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import io
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import grpc
import tqr_documents
from PIL import Image
from servicekit import migrations
from testkit.actors import metadata_for
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import ROLE_APPLICANT
from tqr.documents.v1 import documents_pb2 as pb
from tqr.documents.v1 import documents_pb2_grpc
from tqr_documents.bootstrap import build_host
from tqr_documents.config import DocumentsSettings
from tqr_documents.domain.demo_forms import demo_form
from tqr_documents.domain.form import ApplicationForm
from tqr_documents.domain.form_code import FormCodeSigner
from tqr_documents.rendering import render_docx, render_pdf

from services.documents.tests.fakes import FakeApplication, FakeApplications, serve_fake_application_service

WARM_UP = 20
PDF_GOAL_PER_SECOND = 100.0


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
    return _summary(timings, total_bytes, time.perf_counter() - started)


async def _measure_cached_downloads(count: int) -> dict:
    """``count`` downloads of a cached PDF through the real service, after one that renders it."""
    applications = FakeApplications()
    applications.add(FakeApplication("BENCH-1", "U1", "110105", "P1", demo_form(1, with_photo=_photos()[0])))
    fake_server, fake_port = await serve_fake_application_service(applications)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/documents.sqlite3"
        migrations.upgrade(Path(tqr_documents.__file__).parent / "migrations", url)
        settings = DocumentsSettings(
            grpc_port=0, metrics_port=-1, database_url=url, storage_dir=f"{tmp}/files",
            application_addresses=f"127.0.0.1:{fake_port}", drain_seconds=0.0,
        )
        host = build_host(settings, consume_events=False)
        await host.start()
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{host.port}")
        stub = documents_pb2_grpc.DocumentsServiceStub(channel)
        request = pb.DownloadApplicationFormRequest(application_id="BENCH-1", format=pb.FORM_FORMAT_PDF)
        metadata = metadata_for(Actor(subject_id="U1", role=ROLE_APPLICANT))

        async def download() -> int:
            return sum([len(m.chunk) async for m in stub.DownloadApplicationForm(request, metadata=metadata)])

        try:
            for _ in range(WARM_UP):  # the first renders and caches; the rest warm the channel
                await download()
            timings: list[float] = []
            total_bytes = 0
            started = time.perf_counter()
            for _ in range(count):
                t0 = time.perf_counter()
                total_bytes += await download()
                timings.append((time.perf_counter() - t0) * 1000)
            elapsed = time.perf_counter() - started
        finally:
            await channel.close(None)
            await host.stop()
            await fake_server.stop(None)
    return _summary(timings, total_bytes, elapsed)


def _summary(timings: list[float], total_bytes: int, elapsed: float) -> dict:
    timings.sort()
    return {
        "forms": len(timings),
        "forms_per_second": round(len(timings) / elapsed, 1),
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))], 2),
        "max_ms": round(timings[-1], 2),
        "mean_kib": round(total_bytes / len(timings) / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--formats", default="pdf,docx")
    parser.add_argument("--downloads", type=int, default=200, help="cached PDF downloads to time (0: none)")
    args = parser.parse_args()

    renderers = {"pdf": render_pdf, "docx": render_docx}
    work = _workload(args.count)
    results = {name: _measure(renderers[name], work) for name in args.formats.split(",")}
    rows = {f"{name} render": r for name, r in results.items()}
    if args.downloads > 0:
        rows["pdf cached download"] = results["pdf_cached_download"] = asyncio.run(
            _measure_cached_downloads(args.downloads)
        )

    print(f"{'what':<20} {'count':>6} {'per s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'KiB':>7}")
    for name, r in rows.items():
        print(
            f"{name:<20} {r['forms']:>6} {r['forms_per_second']:>9} {r['p50_ms']:>8} {r['p99_ms']:>8}"
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
