"""The form cache (rendered PDF and Word files on the service's disk): encrypted at rest, safe to
lose (a missing, unreadable or damaged entry is rendered again, never an error) and bounded in size
(the least recently used entries are evicted)."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from tqr_documents.domain.access import Caller
from tqr_documents.service_layer.downloads import download_form

from services.documents.tests.fakes import FakeApplication

OWNER = Caller("U1", "APPLICANT")


def cache_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def readable_views(data: bytes) -> Iterator[bytes]:
    """The bytes as stored, every member of a zip (a Word file), and the text of a PDF."""
    yield data
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                yield archive.read(member)
    if data.startswith(b"%PDF"):
        yield "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages).encode()


async def test_no_document_number_in_clear_in_any_cached_file(documents, form, tmp_path) -> None:
    for fmt in ("pdf", "docx"):
        await download_form(documents, OWNER, "A1", fmt)
    files = cache_files(tmp_path / "files")
    assert len(files) == 2
    for path in files:
        for view in readable_views(path.read_bytes()):
            assert form.document_number.encode() not in view, f"document number in clear in {path.name}"


def _damage(path: Path, how: str, other: Path) -> None:
    data = path.read_bytes()
    if how == "deleted":
        path.unlink()
    elif how == "bit flipped":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0x40]) + data[middle + 1:])
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif how == "emptied":
        path.write_bytes(b"")
    elif how == "another entry's file":
        path.write_bytes(other.read_bytes())
    elif how == "unreadable":
        path.unlink()
        path.mkdir()  # reading it fails, and so does writing the new rendering over it
    else:
        raise AssertionError(how)


@pytest.mark.parametrize("how", ["deleted", "bit flipped", "truncated", "emptied", "another entry's file",
                                 "unreadable"])
async def test_r_app_5_a_lost_or_damaged_entry_is_rendered_again_never_an_error(documents, form, tmp_path,
                                                                                 how) -> None:
    first = await download_form(documents, OWNER, "A1", "docx")
    await download_form(documents, OWNER, "A1", "pdf")
    [pdf_file] = (tmp_path / "files").rglob("*.pdf")
    [word_file] = (tmp_path / "files").rglob("*.docx")
    _damage(word_file, how, other=pdf_file)

    again = await download_form(documents, OWNER, "A1", "docx")

    assert not again.from_cache and again.content_hash == first.content_hash
    assert form.document_number.encode() in b"".join(readable_views(again.data))  # a whole Word file
    assert (await download_form(documents, OWNER, "A1", "pdf")).from_cache  # the other entry is untouched


async def test_r_app_5_entries_sealed_with_a_key_that_left_the_keyring_are_rendered_again(documents) -> None:
    from tqr_documents.adapters.cache_cipher import CacheCipher, CacheCipherError

    await download_form(documents, OWNER, "A1", "pdf")
    old_cipher = documents.forms.store.cipher
    documents.forms.store.cipher = CacheCipher({"k2": b"k" * 32})
    again = await download_form(documents, OWNER, "A1", "pdf")
    assert not again.from_cache and again.data.startswith(b"%PDF")
    assert (await download_form(documents, OWNER, "A1", "pdf")).from_cache  # sealed again with the new key
    [stored] = cache_files(documents.forms.store.root)
    with pytest.raises(CacheCipherError):
        old_cipher.open(stored.read_bytes(), str(stored.relative_to(documents.forms.store.root)))


async def test_r_app_5_a_cache_that_cannot_be_written_still_serves_every_download(documents, tmp_path) -> None:
    (tmp_path / "files").write_bytes(b"a file where the cache directory should be")
    for _ in range(2):
        served = await download_form(documents, OWNER, "A1", "pdf")
        assert served.data.startswith(b"%PDF") and not served.from_cache


def _add_applications(documents, form, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    ids = []
    for i in range(2, 2 + count):
        number = f"{form.application_number[:-3]}{i:03d}"
        documents.applications.add(FakeApplication(f"A{i}", "U1", "110105", "P1",
                                                   dataclasses.replace(form, application_number=number)))
        ids.append(f"A{i}")
    return ids


async def test_the_cache_stays_within_its_bound_evicting_the_least_recently_used(documents, form, tmp_path) -> None:
    second, third = _add_applications(documents, form, 2)
    root = tmp_path / "files"
    await download_form(documents, OWNER, "A1", "pdf")
    [one] = cache_files(root)
    documents.forms.store.max_bytes = bound = one.stat().st_size * 5 // 2  # room for two forms, not three

    await download_form(documents, OWNER, second, "pdf")
    assert (await download_form(documents, OWNER, "A1", "pdf")).from_cache  # A1 used again: now the newest
    await download_form(documents, OWNER, third, "pdf")  # the third form goes past the bound

    assert len(cache_files(root)) == 2
    assert sum(p.stat().st_size for p in cache_files(root)) <= bound
    assert (await download_form(documents, OWNER, "A1", "pdf")).from_cache
    assert (await download_form(documents, OWNER, third, "pdf")).from_cache
    evicted = await download_form(documents, OWNER, second, "pdf")  # the least recently used one
    assert not evicted.from_cache and evicted.data.startswith(b"%PDF")
    assert sum(p.stat().st_size for p in cache_files(root)) <= bound


async def test_a_form_larger_than_the_whole_cache_is_served_but_not_kept(documents, tmp_path) -> None:
    documents.forms.store.max_bytes = 1024
    for _ in range(2):
        served = await download_form(documents, OWNER, "A1", "pdf")
        assert served.data.startswith(b"%PDF") and not served.from_cache
    assert cache_files(tmp_path / "files") == []
