"""Document pages: the public verification page, and a filing's PDFs for the 打印 menu of its page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from registry.deps import PageActor, SessionDep, SettingsDep, read_only
from registry.documents import service
from registry.errors import NotFound
from registry.filings import documents as filing_documents
from registry.ui.templating import render

router = APIRouter(include_in_schema=False)
# Say nothing to caches, referrers or search engines: a verify URL is as good as the paper it is printed on.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def _page(request: Request, session: SessionDep, context: dict[str, object], status: int = 200) -> Response:
    response = render(request, "documents/verify.html", {"title": "文书核验", **context}, session=session,
                      status_code=status)
    response.headers.update(PRIVATE)
    return response


@router.get("/verify", response_class=HTMLResponse)
@read_only
def verify_form(request: Request, session: SessionDep, settings: SettingsDep, code: str = "") -> Response:
    """The form to type a document's short code (no sign-in); a code that matches opens its verification."""
    if not code:
        return _page(request, session, {"document": None, "code": "", "error": None})
    try:
        _, token = service.verify(session, settings=settings, short_code=code[:64])
    except NotFound as exc:
        return _page(request, session, {"document": None, "code": code[:64], "error": exc.message}, status=404)
    return RedirectResponse(f"/verify/{token}", status_code=303, headers=PRIVATE)


@router.get("/verify/{token}", response_class=HTMLResponse)
@read_only
def verify_token(request: Request, session: SessionDep, settings: SettingsDep, token: str) -> Response:
    """What the QR code opens: the document's kind, number, date, issuing unit and whether it is in force."""
    try:
        document, _ = service.verify(session, settings=settings, token=token[:64])
    except NotFound as exc:
        return _page(request, session, {"document": None, "code": "", "error": exc.message}, status=404)
    return _page(request, session, {"document": document, "code": "", "error": None})


@router.get("/filings/{filing_id}/documents/{document_kind}.pdf")
def filing_document(session: SessionDep, settings: SettingsDep, actor: PageActor, filing_id: int,
                    document_kind: str) -> Response:
    """A filing's document for the 打印 menu: shown inline by the browser, printed from there."""
    data, filename = filing_documents.download(session, actor=actor, filing_id=filing_id, kind_name=document_kind,
                                               settings=settings)
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": filing_documents.content_disposition(filename), "Cache-Control": "private, no-store"})
