"""Document routes: a filing's documents as PDFs, the list of what was issued, blank forms."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from registry.deps import CurrentActor, SessionDep, SettingsDep
from registry.documents.models import IssuedDocument, IssuedDocumentPublic
from registry.filings import documents as filing_documents

router = APIRouter(tags=["documents"])
PDF = "application/pdf"


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {404: "not found: no such filing for this user, or unknown kind",
                    409: "not yet issued: the error names the filing's state",
                    503: "the CJK font is not installed, or the stored file is missing or altered"}
    return {code: {"description": descriptions[code]} for code in codes}


def _pdf(data: bytes, filename: str) -> Response:
    # no-store: an issued document carries confidential filing data (第十一条); the copy of record is ours.
    return Response(data, media_type=PDF, headers={
        "Content-Disposition": filing_documents.content_disposition(filename), "Cache-Control": "no-store"})


@router.get("/filings/{filing_id}/documents", response_model=list[IssuedDocumentPublic], responses=_errors(404))
def list_documents(session: SessionDep, actor: CurrentActor, filing_id: int) -> list[IssuedDocument]:
    """The documents issued for a filing (notice, review form, receipt), with their hashes and status."""
    return filing_documents.listed(session, actor=actor, filing_id=filing_id)


@router.get("/filings/{filing_id}/documents/{document_kind}", response_class=Response,
            responses={200: {"content": {PDF: {}}, "description": "the PDF"}, **_errors(404, 409, 503)})
def get_document(session: SessionDep, settings: SettingsDep, actor: CurrentActor, filing_id: int,
                 document_kind: str) -> Response:
    """A filing's document as a PDF: receipt, correction_notice and review_form exactly as issued;
    basic_info (pre-filled for signing and sealing) and authorization rendered now."""
    data, filename = filing_documents.download(session, actor=actor, filing_id=filing_id, kind_name=document_kind,
                                               settings=settings)
    return _pdf(data, filename)


@router.get("/documents/blank/{document_kind}", response_class=Response,
            responses={200: {"content": {PDF: {}}, "description": "the PDF"}, **_errors(404, 503)})
def get_blank(settings: SettingsDep, _actor: CurrentActor, document_kind: str) -> Response:
    """An empty form to print and fill in by hand (authorization: 委托办理备案登记授权书)."""
    data, filename = filing_documents.blank(document_kind, settings)
    return _pdf(data, filename)
