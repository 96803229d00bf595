"""The shared upload plumbing: content checks, metadata removal, capped reading, storage, rows."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import String, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from ulid import ULID

from cimahi_shared.db import create_engine, create_session_factory, new_metadata
from cimahi_shared.errors import InvalidInput
from cimahi_shared.uploads import records
from cimahi_shared.uploads.columns import UploadColumns
from cimahi_shared.uploads.content import (
    JPEG,
    PDF,
    PNG,
    UnacceptableContent,
    sniff,
    without_metadata,
)
from cimahi_shared.uploads.http import MULTIPART_OVERHEAD, content_response, upload_body_limit
from cimahi_shared.uploads.receiving import (
    PayloadTooLarge,
    ReceivedFile,
    UnsupportedMediaType,
    clean_purpose,
    read_capped,
    receive,
    sanitize_filename,
)
from cimahi_shared.uploads.storage import LocalUploadStorage, new_storage_key

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MAX_PIXELS = 1_000_000


class _Base(DeclarativeBase):
    metadata = new_metadata()


class _Upload(UploadColumns, _Base):
    __tablename__ = "test_uploads"
    attached_kind: Mapped[str | None] = mapped_column(String(20))


def image(fmt: str, size: tuple[int, int] = (16, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 10, 200)).save(out, format=fmt)
    return out.getvalue()


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


class _Chunks:
    """A file being received: ``chunks`` of ``size`` bytes, counting the reads."""

    def __init__(self, chunks: int, size: int = 1000) -> None:
        self.left, self.size, self.reads = chunks, size, 0

    async def read(self, size: int = -1) -> bytes:
        self.reads += 1
        if self.left == 0:
            return b""
        self.left -= 1
        return b"%" * self.size


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data = data

    async def read(self, size: int = -1) -> bytes:
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk


class TestSniff:
    @pytest.mark.parametrize(
        ("data", "expected"),
        [(PDF_BYTES, PDF), (image("JPEG"), JPEG), (image("PNG"), PNG)],
    )
    def test_accepted_types(self, data: bytes, expected: str) -> None:
        assert sniff(data, max_pixels=MAX_PIXELS) == expected

    @pytest.mark.parametrize(
        "data",
        [
            b"%PDF-1.4\n" + image("JPEG"),  # a fake PDF: JPEG bytes behind a PDF header
            b"%PDF-x.y\n" + b"0" * 40 + b"%%EOF",  # damaged header
            b"GIF89a" + b"\x00" * 40,
            b"\x89PNG\r\n\x1a\n" + image("JPEG"),  # PNG signature, JPEG inside
            image("PNG")[:-20],  # truncated
            b"hello, this is text",
        ],
    )
    def test_refused(self, data: bytes) -> None:
        with pytest.raises(UnacceptableContent):
            sniff(data, max_pixels=MAX_PIXELS)

    def test_too_many_pixels_refused_before_decoding(self) -> None:
        data = image("PNG", (1200, 1000))
        assert sniff(data, max_pixels=1_200_000) == PNG
        with pytest.raises(UnacceptableContent, match="too many pixels"):
            sniff(data, max_pixels=1_199_999)


class TestWithoutMetadata:
    def test_exif_removed_and_rotation_applied(self) -> None:
        exif = Image.Exif()
        exif[0x013B] = "Rina Marlina"  # Artist
        exif[0x0112] = 6  # shown rotated by 90 degrees
        out = io.BytesIO()
        Image.new("RGB", (16, 8)).save(out, format="JPEG", exif=exif.tobytes())
        cleaned = without_metadata(out.getvalue(), JPEG)
        assert b"Rina Marlina" not in cleaned
        with Image.open(io.BytesIO(cleaned)) as result:
            assert result.size == (8, 16)
            assert not result.getexif()

    def test_png_text_removed(self) -> None:
        info = PngInfo()
        info.add_text("Author", "Rina Marlina")
        out = io.BytesIO()
        Image.new("RGB", (4, 4)).save(out, format="PNG", pnginfo=info)
        cleaned = without_metadata(out.getvalue(), PNG)
        assert b"Rina Marlina" not in cleaned
        with Image.open(io.BytesIO(cleaned)) as result:
            assert result.size == (4, 4)

    @pytest.mark.parametrize(("data", "ctype"), [(image("JPEG"), JPEG), (PDF_BYTES, PDF)])
    def test_files_without_metadata_kept_as_they_are(self, data: bytes, ctype: str) -> None:
        assert without_metadata(data, ctype) is data


class TestReceiving:
    async def test_read_stops_as_soon_as_the_cap_is_passed(self) -> None:
        endless = _Chunks(10_000)
        with pytest.raises(PayloadTooLarge) as too_large:
            await read_capped(endless, 2500)
        assert endless.reads == 3
        assert too_large.value.errors == [
            {"field": "file", "message": "At most 2500 bytes.", "in": "body"}
        ]
        assert await read_capped(_Chunks(3), 3000) == b"%" * 3000

    async def test_receive_checks_cleans_and_hashes(self) -> None:
        info = PngInfo()
        info.add_text("Author", "Rina Marlina")
        out = io.BytesIO()
        Image.new("RGB", (4, 4)).save(out, format="PNG", pnginfo=info)
        received = await receive(_Bytes(out.getvalue()), max_bytes=10_000, max_pixels=MAX_PIXELS)
        assert received.content_type == PNG
        assert b"Rina Marlina" not in received.data
        assert received.sha256 == hashlib.sha256(received.data).hexdigest()
        assert received.size_bytes == len(received.data)

    async def test_receive_refusals_name_the_file_field(self) -> None:
        with pytest.raises(InvalidInput) as empty:
            await receive(_Bytes(b""), max_bytes=100, max_pixels=MAX_PIXELS)
        with pytest.raises(UnsupportedMediaType) as unsupported:
            await receive(_Bytes(b"MZ" * 40), max_bytes=100, max_pixels=MAX_PIXELS)
        assert unsupported.value.status == 415
        for refused in (empty.value, unsupported.value):
            assert [e["field"] for e in refused.errors or []] == ["file"]

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            (None, None),
            ("", None),
            ("../../etc/passwd", "passwd"),
            ("C:\\Users\\rina\\KK Rina (2).pdf", "KK Rina (2).pdf"),
            ("Kartu Keluarga Ré*?.pdf", "Kartu Keluarga Re_.pdf"),
            ("...", None),
            ("a" * 300 + ".pdf", "a" * 247 + ".pdf"),
        ],
    )
    def test_sanitize_filename(self, name: str | None, expected: str | None) -> None:
        assert sanitize_filename(name) == expected

    def test_clean_purpose(self) -> None:
        assert clean_purpose("  KK lama ") == "KK lama"
        assert clean_purpose("   ") is None
        assert clean_purpose(None) is None


class TestStorage:
    async def test_save_read_delete(self, tmp_path: Path) -> None:
        storage = LocalUploadStorage(tmp_path / "uploads")
        key = new_storage_key()
        await storage.save(key, b"data")
        assert await storage.read(key) == b"data"
        assert _names(tmp_path / "uploads") == [key]  # no partial files
        await storage.delete(key)
        await storage.delete(key)  # a missing key is not an error
        with pytest.raises(FileNotFoundError):
            await storage.read(key)

    @pytest.mark.parametrize("key", ["../secret", "ABC", "", "0" * 31, "0" * 32 + "/x"])
    async def test_only_storage_keys_are_paths(self, tmp_path: Path, key: str) -> None:
        storage = LocalUploadStorage(tmp_path)
        with pytest.raises(ValueError, match="not a storage key"):
            await storage.save(key, b"x")


class TestColumns:
    def test_mixin_gives_every_column_and_named_indexes(self) -> None:
        table = _Upload.__table__
        assert {c.name for c in table.columns} == {
            "id",
            "owner_sub",
            "storage_key",
            "content_type",
            "size_bytes",
            "sha256",
            "original_filename",
            "purpose",
            "created_at",
            "attached_kind",
            "attached_id",
            "attached_ref",
            "requirement",
            "kelurahan_code",
            "attached_at",
        }
        assert {i.name for i in table.indexes} == {
            "ix_test_uploads_owner_sub_id",
            "ix_test_uploads_attached_kind_attached_id",
        }


@pytest.fixture
async def session_factory(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine: AsyncEngine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(_Base.metadata.create_all)
    yield create_session_factory(engine)
    await engine.dispose()


def _received(data: bytes = PDF_BYTES) -> ReceivedFile:
    return ReceivedFile(data=data, content_type=PDF, sha256=hashlib.sha256(data).hexdigest())


class TestRecords:
    async def test_store_then_delete_keeps_row_and_file_in_step(
        self, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
    ) -> None:
        storage = LocalUploadStorage(tmp_path / "files")
        upload = records.new_upload(
            _Upload, owner_sub="c1", received=_received(), filename="a/kk.pdf", purpose=None
        )
        assert (upload.original_filename, upload.size_bytes) == ("kk.pdf", len(PDF_BYTES))
        async with session_factory() as session:
            await records.store_upload(session, storage, upload, PDF_BYTES)
        assert await storage.read(upload.storage_key) == PDF_BYTES
        async with session_factory() as session:
            found = await records.find_upload(session, _Upload, upload.id)
            assert found is not None
            assert await records.find_upload(session, _Upload, "x" * 27) is None
            await records.delete_upload(session, storage, found)
        assert _names(tmp_path / "files") == []
        async with session_factory() as session:
            assert await records.find_upload(session, _Upload, upload.id) is None

    async def test_failed_commit_removes_the_stored_file(
        self, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
    ) -> None:
        storage = LocalUploadStorage(tmp_path / "files")
        first = records.new_upload(
            _Upload, owner_sub="c1", received=_received(), filename=None, purpose=None
        )
        async with session_factory() as session:
            await records.store_upload(session, storage, first, PDF_BYTES)
        clash = records.new_upload(
            _Upload, owner_sub="c1", received=_received(), filename=None, purpose=None
        )
        clash.id = first.id
        async with session_factory() as session:
            with pytest.raises(IntegrityError):
                await records.store_upload(session, storage, clash, PDF_BYTES)
        assert _names(tmp_path / "files") == [first.storage_key]

    async def test_claim_only_own_free_uploads_or_the_same_target_again(
        self, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
    ) -> None:
        storage = LocalUploadStorage(tmp_path / "files")
        upload = records.new_upload(
            _Upload, owner_sub="c1", received=_received(), filename=None, purpose=None
        )
        async with session_factory() as session:
            await records.store_upload(session, storage, upload, PDF_BYTES)
        now = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)

        async def claim(owner: str, target: str, *, again: bool = False) -> bool:
            async with session_factory() as session, session.begin():
                return await records.claim_upload(
                    session,
                    _Upload,
                    upload_id=upload.id,
                    owner_sub=owner,
                    kind="application",
                    target_id=target,
                    target_ref="T-1",
                    requirement="kk",
                    kelurahan_code="32.77.01.1001",
                    now=now,
                    again=again,
                )

        target = str(ULID())
        assert not await claim("c2", target)  # someone else's
        assert await claim("c1", target)
        assert not await claim("c1", target)  # attached already, not a resubmission
        assert await claim("c1", target, again=True)  # the same target again
        assert not await claim("c1", str(ULID()), again=True)  # another target
        async with session_factory() as session:
            [row] = await records.fetch_uploads(session, _Upload, [upload.id])
            assert (row.attached_kind, row.attached_id, row.attached_at) == (
                "application",
                target,
                now,
            )
            assert await records.fetch_uploads(session, _Upload, []) == []
            assert inspect(row).persistent


class TestHttp:
    def test_download_response(self) -> None:
        upload = _Upload(id="01JDQ7ZK3M4X9V2B6N8P0R5T7W", content_type=PNG)
        response = content_response(upload, b"png")
        assert response.body == b"png"
        assert response.media_type == PNG
        assert response.headers["content-disposition"] == (
            'attachment; filename="01JDQ7ZK3M4X9V2B6N8P0R5T7W.png"'
        )
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "private, no-store"

    def test_body_limit_leaves_room_for_the_multipart_envelope(self) -> None:
        assert upload_body_limit(1000) == 1000 + MULTIPART_OVERHEAD
