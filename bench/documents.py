"""Benchmark: the receipt, the correction notice and the review form of a filing with 1,000 cameras.

Ours: Typst (the `typst` package) renders our templates with Noto Serif CJK embedded and subset; issuing
adds the QR code, the page count and the atomic write under the SHA-256 (all timed). Baselines, the same
content: (1) the plain HTML-to-PDF route, WeasyPrint (`pip install -e ".[bench]"`; needs Debian's
libpango, present wherever Chromium is); (2) the naive review form, one page per camera, in Typst.
Targets: receipt < 300 ms, 1,000-camera review form < 3 s. Median of --runs runs after one warm-up
(the warm-up parses the fonts once per process: its time is printed too).

Run: .venv/bin/python bench/documents.py [--cameras 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import html
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import typst

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from registry import blobs
from registry.documents.kinds import ReviewFormData, get_kind
from registry.documents.render import TEMPLATES_DIR, Renderer, Verification
from registry.documents.service import new_short_code, new_token, page_count
from registry.settings import Settings
from tests.registry.test_documents_render import sample

NAIVE = """#let d = json(bytes(sys.inputs.data)).doc
#set page(paper: "a4", margin: 2.4cm)
#set text(font: "Noto Serif CJK SC", size: 12pt, lang: "zh")
#for (i, c) in d.cameras.enumerate() {
  align(center, text(size: 20pt, weight: "bold")[公共安全视频图像信息系统备案审核表])
  align(right)[编号：#d.number]
  table(columns: (3.6cm, 1fr), [使用单位], [#d.operator_name], [系统名称], [#d.system_name],
    [序号], [#(i + 1)], [摄像机编码], [#c.code], [名称], [#c.name], [安装位置], [#c.position], [类型], [#c.device_type])
  if i + 1 < d.cameras.len() { pagebreak() }
}
"""


def html_of(kind: str, n: int) -> str:
    """The same content as plain HTML: a title, the field table, the camera list."""
    data = sample(kind, n=n).model_dump(mode="json")
    cameras = data.pop("cameras", [])
    fields = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in data.items())
    rows = "".join(f"<tr><td>{i + 1}</td><td>{c['code']}</td><td>{html.escape(c['name'])}</td>"
                   f"<td>{html.escape(c['position'])}</td><td>{html.escape(c['device_type'])}</td></tr>"
                   for i, c in enumerate(cameras))
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>
      @page {{ size: A4; margin: 2.4cm;
               @bottom-center {{ content: "第 " counter(page) " 页 共 " counter(pages) " 页" }} }}
      body {{ font-family: "Noto Serif CJK SC"; font-size: 10.5pt }}
      table {{ border-collapse: collapse; width: 100% }} th, td {{ border: 0.6pt solid #000; padding: 3pt }}
      h1 {{ text-align: center; font-size: 20pt }}</style></head><body>
      <h1>{kind}</h1><table>{fields}</table>
      {"<table><thead><tr><th>序号</th><th>编码</th><th>名称</th><th>位置</th><th>类型</th></tr></thead>"
       f"<tbody>{rows}</tbody></table>" if rows else ""}</body></html>"""


def measure(fn: Callable[[int], bytes], runs: int) -> tuple[float, float, int, int]:
    """(first call s, median s of the next runs, bytes, pages). Each run gets other data (its number):
    Typst memoises, and the same input twice would measure its cache."""
    t = time.perf_counter()
    pdf = fn(0)
    first = time.perf_counter() - t
    times = []
    for run in range(1, runs + 1):
        t = time.perf_counter()
        pdf = fn(run)
        times.append(time.perf_counter() - t)
    return first, statistics.median(times), len(pdf), page_count(pdf)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cameras", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    settings = Settings()
    started = time.perf_counter()
    renderer = Renderer(settings.font_dir)
    print(f"fonts parsed in {1000 * (time.perf_counter() - started):.0f} ms (once per process)")
    store = Path(tempfile.mkdtemp(prefix="camreg-bench-docs-"))

    def issue(kind: str) -> Callable[[int], bytes]:
        def run(_: int) -> bytes:  # a new token each time: different data
            token, code = new_token(), new_short_code()
            verification = Verification(token, code, f"{settings.public_url}/verify/{token}",
                                        f"{settings.public_url}/verify")
            pdf = renderer.render(get_kind(kind), sample(kind, n=args.cameras), verification=verification)
            blobs.store(store, pdf)
            page_count(pdf)
            return pdf
        return run

    print(f"\n{'document':<34}{'first':>9}{'median':>9}{'size':>11}{'pages':>7}")

    def row(label: str, figures: tuple[float, float, int, int]) -> None:
        first, median, size, pages = figures
        print(f"{label:<34}{1000 * first:>7.0f}ms{1000 * median:>7.0f}ms{size / 1024:>8.0f} KB{pages:>7}")

    for kind, target in (("receipt", 0.3), ("correction_notice", None), ("review_form", 3.0)):
        figures = measure(issue(kind), args.runs)
        row(f"ours: {kind} (issue)", figures)
        if target is not None:
            print(f"{'':<34}target < {target * 1000:.0f} ms: {'met' if figures[1] < target else 'NOT met'}")

    print("\nbaselines, same content")
    naive_file = store / "naive.typ"
    naive_file.write_text(NAIVE, encoding="utf-8")
    fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(settings.font_dir)])

    def naive(run: int) -> bytes:
        data = sample("review_form", n=args.cameras)
        assert isinstance(data, ReviewFormData)
        data.number = f"{1012026000000 + run}"
        compiler = typst.Compiler(str(naive_file), root=str(store), font_paths=fonts, ignore_system_fonts=True)
        payload = f'{{"doc": {data.model_dump_json()}}}'
        pdf = compiler.compile(format="pdf", pdf_tags=False, sys_inputs={"data": payload})
        assert isinstance(pdf, bytes)
        return pdf

    row("naive: one page per camera", measure(naive, max(1, args.runs // 2)))
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        print(f"WeasyPrint baseline skipped: {exc} (pip install -e '.[bench]'; Debian libpango-1.0-0)")
    else:
        def weasy(source: str) -> Callable[[int], bytes]:
            return lambda run: bytes(HTML(string=f"{source}<!--{run}-->").write_pdf())

        for kind in ("receipt", "correction_notice", "review_form"):
            row(f"WeasyPrint HTML: {kind}", measure(weasy(html_of(kind, args.cameras)), max(1, args.runs // 2)))
    print(f"\n(templates: {TEMPLATES_DIR}; stored copies in {store})")


if __name__ == "__main__":
    main()
