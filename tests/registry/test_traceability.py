"""docs/traceability.md cannot rot: every file, folder and test function it cites exists."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "traceability.md"
CITED = re.compile(r"`([^`\s]+)`")
ARTICLES = [f"第{n}条" for n in ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三",
                                "十四", "十五", "十六", "十七", "十八", "十九", "二十", "二十一", "二十二", "二十三")]
SECTIONS = ("一 ", "二 ", "三 ", "四 ", "五 ")
SPEC_799 = ("第八条", "第十三条", "第十四条", "第十五条", "第十六条", "第十七条", "第十九条", "第二十九条")


def table_rows(text: str) -> dict[str, list[list[str]]]:
    """The rows (cells) of each table, by the heading above it."""
    tables: dict[str, list[list[str]]] = {}
    heading = ""
    for line in text.splitlines():
        if line.startswith("## "):
            heading = line[3:].strip()
        elif line.startswith("|") and not set(line) <= set("|- "):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            tables.setdefault(heading, []).append(cells)
    return {h: rows[1:] for h, rows in tables.items()}  # without the header row


def cited(cells: list[str]) -> list[str]:
    """Paths and tests cited in a row's code and tests columns (backquoted, with a slash)."""
    return [c for cell in cells[2:4] for c in CITED.findall(cell) if "/" in c]


@cache
def functions_of(path: Path) -> frozenset[str]:
    """The test functions defined at the top level of a test file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return frozenset(n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))


def missing(reference: str) -> str | None:
    """Why a cited reference does not resolve, or None when it does."""
    path, _, function = reference.partition("::")
    target = ROOT / path
    if not target.exists():
        return f"{path} does not exist"
    if function and function not in functions_of(target):
        return f"{path} has no test function {function}"
    if function and not function.startswith("test_"):
        return f"{function} is not a test"
    return None


def test_every_cited_path_and_test_exists() -> None:
    tables = table_rows(DOC.read_text(encoding="utf-8"))
    references = [r for rows in tables.values() for row in rows for r in cited(row)]
    assert len(references) > 80, "the tables were not parsed"
    problems = sorted({p for r in references if (p := missing(r))})
    assert not problems, "docs/traceability.md cites what is not there:\n" + "\n".join(problems)


def test_every_article_section_and_799_article_has_a_row() -> None:
    tables = table_rows(DOC.read_text(encoding="utf-8"))
    opinion, notice, state = (next(rows for h, rows in tables.items() if key in h)
                              for key in ("implementation opinion", "notice", "799"))
    assert [row[0] for row in opinion] == ARTICLES
    assert {s for s in SECTIONS if any(row[0].startswith(s) for row in notice)} == set(SECTIONS)
    assert [row[0] for row in state] == list(SPEC_799)
    for row in opinion + notice + state:
        assert len(row) == 5 and row[4], f"row without a status: {row[0]}"
        carried = any("::" in r for r in cited(row))
        assert carried or row[4].startswith(("out of scope", "partly")), f"{row[0]} cites no test"


def test_the_checker_sees_a_missing_test() -> None:
    assert missing("tests/registry/test_traceability.py::test_every_cited_path_and_test_exists") is None
    assert missing("tests/registry/test_traceability.py::test_nothing_of_the_kind")
    assert missing("registry/nowhere.py")
