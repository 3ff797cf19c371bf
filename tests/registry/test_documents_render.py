"""Rendering every kind of document: text read back, CJK font embedded, pagination, determinism, pictures."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from registry.documents import kinds as K
from registry.documents.kinds import DocumentData, DocumentKind, get_kind, register
from registry.documents.render import Renderer, Verification
from registry.documents.service import new_short_code, normalise_short_code
from registry.errors import NotFound, Unavailable
from registry.settings import Settings
from tests.conftest import skip_or_fail
from tests.registry import pdf_tools

FONT_DIR = Settings().font_dir
VERIFY = Verification(token="t0ken-for-tests", short_code="K7Q2M9XD4RTAPW3H",
                      url="http://127.0.0.1:8000/verify/t0ken-for-tests", lookup_url="http://127.0.0.1:8000/verify")
# Set CAMREG_TEST_ARTIFACTS=DIR to keep the page pictures after the run (they are in tmp_path otherwise).
ARTIFACTS = os.environ.get("CAMREG_TEST_ARTIFACTS")


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    if not (FONT_DIR / "NotoSerifCJK-Regular.ttc").exists():
        skip_or_fail(f"Noto Serif CJK is not in {FONT_DIR}: install Debian's fonts-noto-cjk (./dev does)")
    return Renderer(FONT_DIR)


def cameras(n: int) -> list[K.CameraLine]:
    return [K.CameraLine(code=f"110101015050132{i + 1:05d}", name=f"大堂摄像机{i + 1}",
                         position="一层大堂东侧入口上方" + ("，靠近前台" if i % 3 else ""),
                         device_type="网络摄像机") for i in range(n)]


UNIT, ADDRESS, SYSTEM = "北京市公安局东城分局", "北京市东城区雍和宫大街12号", "酒店视频监控系统"
USCC, KXB = "91110101MA01ABCD2X", "东城分局科信部门"


def sample(kind: str, *, n: int = 12, name: str = "北京东方测试酒店管理有限公司") -> DocumentData:
    """Data of each kind as its domain would give it."""
    if kind == "receipt":
        return K.ReceiptData(number="1012026000123", operator_name=name, uscc=USCC, system_name=SYSTEM,
                             system_location=ADDRESS, camera_count=n, camera_types="枪机×40，球机×6",
                             retention_days=30, submitted_on=date(2026, 3, 2), filed_on=date(2026, 3, 16),
                             changes_number="1012025000088", issuing_unit=UNIT)
    if kind == "correction_notice":
        return K.CorrectionNoticeData(
            number="1012026000007", filing_number="1012026000123", operator_name=name, system_name=SYSTEM,
            submitted_on=date(2026, 3, 2), issued_on=date(2026, 3, 4),
            items=[K.DefectLine(label="布防图", message="布防图未标出大堂摄像机的安装位置"),
                   K.DefectLine(label="视频保存期限", message="视频保存期限为15天，不足30天")],
            due_workdays=10, due_date=date(2026, 3, 18), due_provisional=True, officer_name="王建国", issuing_unit=UNIT)
    if kind == "review_form":
        return K.ReviewFormData(
            number="1012026000123", operator_name=name, uscc=USCC, operator_address=ADDRESS,
            contact="赵经理 010-6512 3456", system_name=SYSTEM, system_location=ADDRESS,
            acceptance_date=date(2026, 1, 20), system_in_use_date=date(2026, 2, 1), retention_days=30,
            camera_count_declared=n, camera_types="枪机，球机",
            filing_kind="新建备案", channel="窗口报送", late_note="按时报送", submitted_on=date(2026, 3, 2),
            checks=[K.CheckLine(label="布防图", present=True), K.CheckLine(label="备案表", present=False)],
            correction=K.CorrectionSummary(number="1012026000007", issued_on=date(2026, 3, 4), items=2,
                                           corrected_on=date(2026, 3, 6), late=False),
            steps=[K.StepLine(step="受理审查", unit=KXB, officer="王建国", on=date(2026, 3, 2), result="受理"),
                   K.StepLine(step="复核", unit=KXB, officer="李明", on=date(2026, 3, 16), result="材料齐全")],
            conclusion="备案材料齐全，符合备案要求，予以备案。", filed_on=date(2026, 3, 16), issuing_unit=UNIT,
            cameras=cameras(n))
    if kind == "basic_info":
        return K.BasicInfoData(
            number=None, operator_name=name, uscc=USCC, operator_address=ADDRESS, industry="住宿和餐饮业",
            contact_name="赵经理", contact_phone="010-6512 3456", system_name=SYSTEM, system_location=ADDRESS,
            acceptance_date=date(2026, 1, 20), system_in_use_date=date(2026, 2, 1), retention_days=30, camera_count=n,
            camera_types="枪机×40，球机×6",
            network="社会资源接入网", filing_unit=UNIT, cameras=cameras(n))
    return K.AuthorizationData(operator_name=name, filing_unit=UNIT)


def render(renderer: Renderer, kind: str, data: DocumentData | None = None) -> bytes:
    kind_ = get_kind(kind)
    return renderer.render(kind_, data or sample(kind), verification=VERIFY if kind_.issued else None)


EXPECTED = {
    "receipt": ["公共安全视频图像信息系统备案回执单", "编号：1012026000123", "北京东方测试酒店管理有限公司", USCC,
                SYSTEM, ADDRESS, "12台", "30天", "2026年3月16日", "2026年3月2日", UNIT, "（公章）", "1012025000088",
                "K7Q2-M9XD-4RTA-PW3H"],
    "correction_notice": ["补正材料通知单", "编号：1012026000007", "1012026000123", "布防图未标出大堂摄像机的安装位置",
                          "视频保存期限为15天，不足30天", "2026年3月18日", "10个工作日", "暂定", "王建国", "（公章）",
                          "K7Q2-M9XD-4RTA-PW3H"],
    "review_form": ["备案审核表", "编号：1012026000123", "受理审查", "王建国", "复核", "李明", "2026年3月16日",
                    "备案材料齐全，符合备案要求，予以备案。", "1012026000007", "摄像机清单（共12台）",
                    "2026年1月20日", "2026年2月1日",
                    "11010101505013200012", "大堂摄像机12", "（公章）"],
    "basic_info": ["备案基本信息表", USCC, "住宿和餐饮业", ADDRESS, "竣工验收合格日期", "2026年1月20日", "30天", "12台",
                   "枪机×40，球机×6", "社会资源接入网",
                   "承诺", "（使用单位盖章）", "大堂摄像机12"],
    "authorization": ["委托办理备案登记授权书", UNIT, "北京东方测试酒店管理有限公司", "受托人", "（委托单位盖章）"],
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_every_kind_reads_back(renderer: Renderer, kind: str) -> None:
    pdf = render(renderer, kind)
    assert pdf.startswith(b"%PDF-")
    text = pdf_tools.text(pdf)
    missing = [s for s in EXPECTED[kind] if s not in text]
    assert not missing, f"{kind}: {missing} not in {text[:400]}"


def test_only_issued_kinds_carry_a_verification_code(renderer: Renderer) -> None:
    assert "核验码" in pdf_tools.text(render(renderer, "receipt"))
    assert "核验码" not in pdf_tools.text(render(renderer, "basic_info"))
    with pytest.raises(ValueError, match="verification"):
        renderer.render(K.RECEIPT, sample("receipt"))


def test_cjk_font_is_embedded_and_subset(renderer: Renderer) -> None:
    for kind in EXPECTED:
        used = pdf_tools.fonts(render(renderer, kind))
        assert used, kind
        assert all(f.embedded and f.subset for f in used), (kind, used)
        assert all("NotoSerifCJK" in f.name for f in used), (kind, used)


def test_page_count_grows_with_cameras(renderer: Renderer) -> None:
    counts = [pdf_tools.pages(render(renderer, "review_form", sample("review_form", n=n))) for n in (5, 100, 1000)]
    assert counts[0] == 2 and counts[0] < counts[1] < counts[2], counts
    assert counts[2] >= 1000 // 50  # about 44 rows a page after the first


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["receipt", "correction_notice", "review_form", "basic_info", "authorization"])
def test_long_names_and_1000_cameras_never_leave_the_page(renderer: Renderer, kind: str, tmp_path: Path) -> None:
    # 200 characters, with a 60-letter run that has no break opportunity of its own.
    name = ("北京东方测试酒店管理有限公司" * 10)[:140] + "X" * 60
    pdf = render(renderer, kind, sample(kind, n=1000, name=name))
    width, height, words = pdf_tools.words(pdf, tmp_path)
    edge = 28  # points: a centimetre from the paper's edge, inside the printer's margin
    outside = [w for w in words if w.x0 < edge or w.x1 > width - edge or w.y0 < edge or w.y1 > height - edge]
    assert not outside, outside[:5]
    assert "X" * 60 in pdf_tools.text(pdf)


def test_same_data_gives_the_same_bytes_in_another_process(renderer: Renderer) -> None:
    here = render(renderer, "receipt")
    assert render(renderer, "receipt") == here
    code = ("import sys; from tests.registry.test_documents_render import render, Renderer, FONT_DIR; "
            "sys.stdout.buffer.write(render(Renderer(FONT_DIR), 'receipt'))")
    there = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                           cwd=Path(__file__).resolve().parents[2]).stdout
    assert there == here
    assert b"CreationDate" not in here and b"ModDate" not in here


def test_data_is_text_never_markup(renderer: Renderer) -> None:
    hostile = '#panic("x") *粗体* $x^2$ <lbl> @ref \\ #import "/etc/passwd"'
    pdf = render(renderer, "receipt", sample("receipt", name=hostile))
    assert '#panic("x")*粗体*$x^2$<lbl>@ref\\#import"/etc/passwd"' in pdf_tools.text(pdf)


def test_pages_as_pictures_keep_their_margins_clean(renderer: Renderer, tmp_path: Path) -> None:
    """Every kind as PNG pages (kept for a person to look at); nothing is drawn in the outer centimetre."""
    out = Path(ARTIFACTS) if ARTIFACTS else tmp_path
    for kind in EXPECTED:
        pictures = pdf_tools.to_png(render(renderer, kind, sample(kind, n=60)), out, kind, dpi=40)
        assert pictures, kind
        for picture in pictures:
            with Image.open(picture) as image:
                grey = image.convert("L")
                w, h = grey.size
                band = round(40 / 2.54)  # one centimetre at 40 dpi
                for box in ((0, 0, w, band), (0, h - band, w, h), (0, 0, band, h), (w - band, 0, w, h)):
                    lightest_ink = grey.crop(box).getextrema()[0]  # one band ("L"): (min, max) of its pixels
                    assert isinstance(lightest_ink, int | float) and lightest_ink > 200, \
                        f"{picture}: ink in the margin {box}"
                darkest = grey.getextrema()[0]
                assert isinstance(darkest, int | float) and darkest < 50, f"{picture} is blank"


def test_a_missing_font_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Unavailable, match="fonts-noto-cjk"):
        Renderer(tmp_path)
    with pytest.raises(Unavailable, match="fonts-noto-cjk"):
        Renderer(tmp_path / "absent")


def test_kinds_registry() -> None:
    with pytest.raises(NotFound) as caught:
        get_kind("penalty")
    assert "receipt" in caught.value.message
    register(K.RECEIPT)  # the same definition again is fine
    with pytest.raises(ValueError, match="already registered"):
        register(DocumentKind("receipt", "别的", "other.typ", K.ReceiptData, issued=True))


def test_short_codes_are_typeable() -> None:
    code = new_short_code()
    assert len(code) == 16 and code == normalise_short_code(code)
    assert normalise_short_code("k7q2-m9xd 4rta-pw3h") == "K7Q2M9XD4RTAPW3H"
    assert normalise_short_code("O0IL-0000-0000-0000") == "0011000000000000"  # look-alikes forgiven
    assert normalise_short_code("K7Q2-M9XD") is None
    assert normalise_short_code("K7Q2M9XD4RTAPW3!") is None


def test_the_typst_templates_need_no_network() -> None:
    """Templates import only each other: a package import would try to download at render time."""
    templates = Path(K.__file__).parent / "templates"
    for path in templates.glob("*.typ"):
        assert "@preview" not in path.read_text(encoding="utf-8"), path
