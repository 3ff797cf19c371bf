"""Files sent from a page form as materials of a filing: the operator's page and the desk use the same rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.datastructures import UploadFile

from registry.actor import Actor
from registry.errors import DomainError, InvalidInput
from registry.filings import mapimages, service
from registry.filings.models import Material, MaterialKind
from registry.settings import Settings

MAX_FILES = 20  # per upload form


def files_of(form: Any, name: str = "file") -> list[UploadFile]:
    """The files actually chosen in a multipart form field (an empty file input sends a nameless part)."""
    return [f for f in form.getlist(name) if isinstance(f, UploadFile) and f.filename]


async def store_files(session: Any, *, actor: Actor, settings: Settings, filing_id: int, kind: MaterialKind,
                      files: Sequence[UploadFile]) -> list[Material]:
    """Store each file as a material; a deployment map must open as an image or a PDF with pages.

    Raises DomainError (field "file") naming the file; the caller rolls its savepoint back.
    """
    if len(files) > MAX_FILES:
        raise InvalidInput(f"一次最多上传 {MAX_FILES} 个文件", field="file")
    stored = []
    for item in files:
        data = await item.read(settings.max_upload_bytes + 1)
        try:
            material = service.upload_material(session, actor=actor, filing_id=filing_id, kind=kind,
                                               filename=item.filename or "upload", data=data, settings=settings)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            raise InvalidInput(f"{item.filename}：{exc.message.split(' / ')[0]}", field="file") from exc
        if kind == MaterialKind.deployment_map and not mapimages.frames(settings.materials_dir, material.sha256,
                                                                        material.mime):
            raise InvalidInput(f"{item.filename}：文件无法打开，请另存为 PDF 或图片后重新上传", field="file")
        stored.append(material)
    return stored
