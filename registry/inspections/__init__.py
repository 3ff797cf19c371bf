"""Supervision inspections (第十四条, notice 一): due lists, checklist, records, rectification, windows, spot checks."""

from registry.inspections import doc_kinds as doc_kinds  # registers 检查笔录 and 整改通知书 with registry/documents
