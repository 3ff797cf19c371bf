"""The page framework: layout, lists, forms, CSRF and security headers (README: "Pages")."""

from __future__ import annotations

from fastapi import APIRouter


def page_routers() -> list[APIRouter]:
    """Every domain's page router, in menu order (a new domain's pages.py is added here)."""
    from registry.admin.system import router as system_pages
    from registry.admin.users import router as user_pages
    from registry.auth.pages import router as auth_pages
    from registry.cameras.pages import router as camera_pages
    from registry.checks.pages import router as check_pages
    from registry.dashboard.pages import router as dashboard_pages
    from registry.documents.pages import router as document_pages
    from registry.filings.apply_edits import router as apply_edits
    from registry.filings.apply_import import router as apply_import
    from registry.filings.apply_pages import router as apply_pages
    from registry.filings.desk_intake import router as desk_intake
    from registry.filings.pages import router as filing_pages
    from registry.filings.placement_pages import router as placement_pages
    from registry.filings.verify_pages import router as verify_pages
    from registry.footage.pages import router as footage_pages
    from registry.imports.pages import router as import_pages
    from registry.inspections.pages import router as inspection_pages
    from registry.inspections.spotcheck_pages import router as spotcheck_pages
    from registry.inspections.supervision_pages import router as supervision_pages
    from registry.operators.pages import router as operator_pages
    from registry.penalties.pages import router as penalty_pages
    from registry.scans.pages import router as scan_pages
    from registry.statistics.pages import router as statistics_pages
    from registry.ui.home import router as home_pages

    # footage, penalty, check and inspection pages before apply_pages: /apply/footage is not the filing
    # /apply/{filing_id}; supervision pages before inspection pages: /inspections/review is not an inspection.
    return [auth_pages, home_pages, dashboard_pages, footage_pages, penalty_pages, check_pages, supervision_pages,
            spotcheck_pages, inspection_pages, apply_pages, apply_edits, apply_import, placement_pages, verify_pages,
            desk_intake, filing_pages, operator_pages, camera_pages, scan_pages, document_pages, statistics_pages,
            user_pages, system_pages, import_pages]
