"""Document routes: a filing's documents as PDFs, the list of what was issued, blank forms."""

from __future__ import annotations

from fastapi import APIRouter, Response

from registry.deps import CurrentActor, SessionDep, SettingsDep
from registry.documents.models import IssuedDocument, IssuedDocumentPublic
from registry.filings import documents as filing_documents
from registry.responses import errors, files

router = APIRouter(tags=["documents"], responses=errors(401, 422))
PDF = "application/pdf"
# 503 (declared by `errors` anyway) also means: the CJK font is not installed, or a stored file was altered.
PDF_FILE = files(PDF, description="the PDF")


def _pdf(data: bytes, filename: str) -> Response:
    # no-store: an issued document carries confidential filing data (第十一条); the copy of record is ours.
    return Response(data, media_type=PDF, headers={
        "Content-Disposition": filing_documents.content_disposition(filename), "Cache-Control": "no-store"})


@router.get("/filings/{filing_id}/documents", response_model=list[IssuedDocumentPublic], responses=errors(404))
def list_documents(session: SessionDep, actor: CurrentActor, filing_id: int) -> list[IssuedDocument]:
    """The documents issued for a filing (notice, review form, receipt), with their hashes and status."""
    return filing_documents.listed(session, actor=actor, filing_id=filing_id)


@router.get("/filings/{filing_id}/documents/{document_kind}", response_class=Response,
            responses=PDF_FILE | errors(404, 409))
def get_document(session: SessionDep, settings: SettingsDep, actor: CurrentActor, filing_id: int,
                 document_kind: str) -> Response:
    """A filing's document as a PDF: receipt, correction_notice and review_form exactly as issued;
    basic_info (pre-filled for signing and sealing) and authorization rendered now."""
    data, filename = filing_documents.download(session, actor=actor, filing_id=filing_id, kind_name=document_kind,
                                               settings=settings)
    return _pdf(data, filename)


@router.get("/documents/blank/{document_kind}", response_class=Response, responses=PDF_FILE | errors(404))
def get_blank(settings: SettingsDep, _actor: CurrentActor, document_kind: str) -> Response:
    """An empty form to print and fill in by hand (authorization: 委托办理备案登记授权书)."""
    data, filename = filing_documents.blank(document_kind, settings)
    return _pdf(data, filename)
