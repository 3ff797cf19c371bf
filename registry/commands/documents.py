"""``camreg doc …``: a filing's documents as PDF files, blank forms, and checking a verification code."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlmodel import select

from registry.commands.data import JsonOption, _actor, _fail
from registry.db import make_engine, session_scope
from registry.documents import service
from registry.documents.kinds import all_kinds
from registry.errors import DomainError
from registry.filings import documents as filing_documents
from registry.filings.models import Filing
from registry.settings import Settings

console = Console()
doc_app = typer.Typer(help="文书 documents: receipts, correction notices, review forms and forms to seal, as PDF",
                      no_args_is_help=True)
KINDS_HELP = ", ".join(f"{k.name} ({k.title})" for k in all_kinds())


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@doc_app.command("render")
def render_command(
    kind: Annotated[str, typer.Argument(help=KINDS_HELP)],
    filing_number: Annotated[str | None, typer.Argument(help="13-digit filing number (none for a blank form)")] = None,
    out: Annotated[Path, typer.Option("--out", help="the PDF file to write")] = Path("document.pdf"),
    user: Annotated[str | None, typer.Option("--user", envvar="CAMREG_USER",
                                             help="account acting (scope and audit); needed with a filing")] = None,
    json_output: JsonOption = False,
) -> None:
    """Write a filing's document: receipt, correction notice and review form exactly as issued; others now."""
    settings = Settings()
    try:
        if filing_number is None:
            data, _ = filing_documents.blank(kind, settings)
        else:
            if not user:
                raise DomainError("请用 --user 指定账户 / --user is required to read a filing's document", field="user")
            with session_scope(make_engine(settings)) as session:
                filing = session.exec(select(Filing).where(Filing.number == filing_number)).first()
                if filing is None or filing.id is None:
                    raise DomainError(f"备案编号 {filing_number} 不存在 / no filing numbered {filing_number}",
                                      field="filing_number")
                data, _ = filing_documents.download(session, actor=_actor(session, user), filing_id=filing.id,
                                                    kind_name=kind, settings=settings)
    except DomainError as exc:
        raise _fail(exc, json_output) from None
    _write_atomically(out, data)
    digest, pages = hashlib.sha256(data).hexdigest(), service.page_count(data)
    if json_output:
        print(json.dumps({"out": str(out), "bytes": len(data), "pages": pages, "sha256": digest}))
    else:
        console.print(f"已写入 wrote {out}: {pages} 页 pages, {len(data):,} bytes, SHA-256 {digest}")


@doc_app.command("verify")
def verify_command(code: Annotated[str, typer.Argument(help="the 16-character code printed on the document")],
                   json_output: JsonOption = False) -> None:
    """What the public verify page says about a document's short code."""
    settings = Settings()
    try:
        with session_scope(make_engine(settings)) as session:
            verified, _ = service.verify(session, settings=settings, short_code=code)
    except DomainError as exc:
        raise _fail(exc, json_output) from None
    facts = {"kind": verified.kind_title, "number": verified.number, "issued_on": verified.issued_on.isoformat(),
             "issuing_unit": verified.issuing_unit, "pages": verified.pages, "valid": verified.valid,
             "superseded_on": verified.superseded_on.isoformat() if verified.superseded_on else None,
             "superseded_by_number": verified.superseded_by_number, "sha256": verified.sha256}
    if json_output:
        print(json.dumps(facts, ensure_ascii=False))
        return
    state = "有效 valid" if verified.valid else f"已被替代 superseded on {verified.superseded_on}"
    console.print(f"{verified.kind_title} {verified.number} · {verified.issuing_unit} · {verified.issued_on} · "
                  f"{verified.pages} 页 · [bold]{state}[/]")
