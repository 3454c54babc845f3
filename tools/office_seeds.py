#!/usr/bin/env python3
"""Writes Word (.docx) and PDF versions of the shared seeds' task tables, as a province
would send them: a title, the appendix table with its header as the plan prints it (merged
header cells, a column-letter row for the Quảng Nam shape), part headings as rows merged
across the table, agencies one per paragraph, the header repeated on every PDF page.

The tables come from shared/seeds/expected/*.tasks.csv (the ground truth), so an import of
the generated files can be compared with the same expected tables. The tests run this
script into a temporary directory (nothing of the seeds is copied into the repository).

    python3 tools/office_seeds.py --shared ../shared --out DIR

Needs python-docx and reportlab (scripts/test.sh installs them) and the DejaVu fonts.
"""

import argparse
import csv
import os

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu"]


def agencies(cell):
    """Agencies joined by "; " in the expected table, one per paragraph in the document."""
    items = [a for a in cell.split("; ") if a]
    return [a + (";" if i < len(items) - 1 else "") for i, a in enumerate(items)]


def shape(name, rows):
    """(title, header rows, column widths in mm, body rows) of a seed; a body row is a
    list of cells, each a list of paragraphs, or ("merged", text) for a part heading."""
    body = []
    if name == "quang-nam-cltk-2022":
        header = [
            ["TT", "Nội dung công việc", "Mã số", "Cơ quan thực hiện", None, "Thời gian thực hiện", None, "Sản phẩm"],
            [None, None, None, "Chủ trì", "Phối hợp", "Thời gian bắt đầu", "Thời gian hoàn thành", None],
            ["(A)", "(B)", "(C)", "(D)", "(E)", "(F)", "(G)", "(H)"],
        ]
        widths = [16, 70, 16, 36, 40, 20, 20, 52]
        for r in rows:
            if r["level"] == "0":
                body.append(("merged", f"{r['tt']}. {r['title']}"))
                continue
            body.append(
                [[r["tt"]], [r["title"]], [r["code"]], agencies(r["lead"]), agencies(r["cooperating"]),
                 [r["start"]], [r["finish"]], [r["product"]]]
            )
        title = "KẾ HOẠCH THỰC HIỆN CHIẾN LƯỢC PHÁT TRIỂN THỐNG KÊ (bản thử nghiệm)"
    elif name == "kon-tum-1012-2024":
        header = [["TT", "Nhiệm vụ", "Kết quả thực hiện", "Thời hạn hoàn thành", "Cơ quan thực hiện", "Cơ quan phối hợp"]]
        widths = [12, 80, 50, 28, 45, 55]
        section = None
        for r in rows:
            if r["section"] != section:
                section = r["section"]
                body.append(("merged", section))
            body.append(
                [[r["tt"]], [r["title"]], [r["result"]], [r["deadline"]], agencies(r["lead"]), agencies(r["cooperating"])]
            )
        title = "DANH MỤC NHIỆM VỤ CHUYỂN ĐỔI SỐ (bản thử nghiệm)"
    elif name == "dong-thap-thong-ke-2026":
        header = [["STT", "Nội dung", "Đơn vị chủ trì tham mưu", "Đơn vị phối hợp thực hiện", "Thời gian thực hiện"]]
        widths = [14, 110, 50, 55, 40]
        for r in rows:
            body.append([[r["tt"]], [r["title"]], agencies(r["lead"]), agencies(r["cooperating"]), [r["time"]]])
        title = "KẾ HOẠCH NÂNG CAO CHẤT LƯỢNG CÔNG TÁC THỐNG KÊ (bản thử nghiệm)"
    else:
        raise SystemExit(f"unknown seed {name}")
    return title, header, widths, body


def merges(header, ncols):
    """The merged header cells: (row, column, bottom row, right column). A None to the right
    of a text extends it across (unless the row below names that column); a None below a
    text that is not extended across extends it down."""
    out = []
    for r, cells in enumerate(header):
        for c, text in enumerate(cells):
            if text is None:
                continue
            end = c
            while end + 1 < ncols and cells[end + 1] is None and (r + 1 >= len(header) or header[r + 1][end + 1] is not None):
                end += 1
            bottom = r
            while end == c and bottom + 1 < len(header) and header[bottom + 1][c] is None:
                bottom += 1
            if end > c or bottom > r:
                out.append((r, c, bottom, end))
    return out


def set_repeat_header(row):
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def write_cell(cell, paragraphs):
    cell.text = ""
    first = True
    for text in paragraphs:
        p = cell.paragraphs[0] if first else cell.add_paragraph()
        p.add_run(text)
        first = False


def write_docx_table(doc, header, widths, body):
    ncols = len(widths)
    table = doc.add_table(rows=0, cols=ncols)
    table.style = "Table Grid"
    # Header rows, with horizontal (None to the right) and vertical (None below) merges.
    header_rows = [table.add_row() for _ in header]
    for r, cells in enumerate(header):
        set_repeat_header(header_rows[r])
        for c, text in enumerate(cells):
            if text is not None:
                write_cell(header_rows[r].cells[c], [text])
    # Merges written as Word stores them: vMerge on each cell of a vertical run, gridSpan on
    # the first cell of a horizontal run (the cells it covers removed, right to left).
    for (r, c, bottom, end) in merges(header, ncols):
        if bottom > r:
            for k in range(r, bottom + 1):
                v = OxmlElement("w:vMerge")
                if k == r:
                    v.set(qn("w:val"), "restart")
                header_rows[k].cells[c]._tc.get_or_add_tcPr().append(v)
    for (r, c, bottom, end) in sorted(merges(header, ncols), key=lambda m: -m[1]):
        if end > c:
            tcs = header_rows[r]._tr.tc_lst
            span = OxmlElement("w:gridSpan")
            span.set(qn("w:val"), str(end - c + 1))
            tcs[c].get_or_add_tcPr().append(span)
            for k in range(end, c, -1):
                header_rows[r]._tr.remove(tcs[k])
    for row in body:
        cells = table.add_row().cells
        if isinstance(row, tuple):
            write_cell(cells[0], [row[1]])
            tr = cells[0]._tc.getparent()
            span = OxmlElement("w:gridSpan")
            span.set(qn("w:val"), str(ncols))
            cells[0]._tc.get_or_add_tcPr().append(span)
            for tc in tr.tc_lst[1:]:
                tr.remove(tc)
            continue
        for c, paragraphs in enumerate(row):
            write_cell(cells[c], [p for p in paragraphs if p] or [""])


def write_docx(path, title, header, widths, body, extra=None):
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(11)
    doc.add_paragraph("ỦY BAN NHÂN DÂN TỈNH")
    doc.add_paragraph(title)
    write_docx_table(doc, header, widths, body)
    if extra:
        doc.add_paragraph("")
        doc.add_paragraph("Phụ lục II. DANH MỤC CHỈ SỐ")
        write_docx_table(doc, *extra)
    doc.add_paragraph("")
    doc.add_paragraph("Nơi nhận:")
    doc.add_paragraph("- Lưu: VT.")
    doc.save(path)


def pdf_table(header, widths, body, cell_style):
    ncols = len(widths)
    data = []
    for cells in header:
        data.append([Paragraph(t, cell_style) if t else "" for t in cells])
    spans = [("SPAN", (c, r), (end, bottom)) for (r, c, bottom, end) in merges(header, ncols)]
    for row in body:
        r = len(data)
        if isinstance(row, tuple):
            data.append([Paragraph(row[1], cell_style)] + [""] * (ncols - 1))
            spans.append(("SPAN", (0, r), (ncols - 1, r)))
            continue
        data.append([Paragraph("<br/>".join(p for p in paragraphs if p), cell_style) for paragraphs in row])
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=len(header))
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")] + spans))
    return table


def write_pdf(path, title, header, widths, body, extra=None):
    font_dir = next(d for d in FONT_DIRS if os.path.exists(os.path.join(d, "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVu", os.path.join(font_dir, "DejaVuSans.ttf")))
    cell_style = ParagraphStyle("cell", fontName="DejaVu", fontSize=8, leading=10)
    title_style = ParagraphStyle("title", fontName="DejaVu", fontSize=11, leading=14)
    table = pdf_table(header, widths, body, cell_style)
    doc = SimpleDocTemplate(path, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm)
    story = [Paragraph("ỦY BAN NHÂN DÂN TỈNH", title_style), Paragraph(title, title_style), Spacer(1, 6 * mm), table]
    if extra:
        story += [PageBreak(), Paragraph("Phụ lục II. DANH MỤC CHỈ SỐ", title_style), Spacer(1, 6 * mm)]
        story.append(pdf_table(*extra, cell_style))
    doc.build(story)


def write_scan(path):
    """A page with no text layer, as a scanned plan arrives: only drawn shapes."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(path, pagesize=A4)
    for k in range(12):
        c.rect(40, 760 - 40 * k, 500, 30, stroke=1, fill=0)
    c.showPage()
    c.save()


def indicator_table(rows):
    """The Kon Tum indicator catalogue (Phụ lục II): header, widths, body with its part
    ("A. …") and group ("I. …") headings merged across the table."""
    header = [["TT", "Thông tin, dữ liệu", "Phạm vi", "Thời gian", "Phân tổ", "Cơ quan thực hiện"]]
    widths = [12, 95, 30, 25, 50, 50]
    body = []
    shown = []
    for r in rows:
        path = r["group"].split(" > ")
        if path != shown:
            # Headings from the first level that differs (a part printed again when rows
            # follow directly under it after its groups).
            k = 0
            while k < min(len(path), len(shown)) and path[k] == shown[k] and len(path) >= len(shown):
                k += 1
            for heading in path[k:]:
                body.append(("merged", heading))
            shown = path
        body.append([[r["tt"]], [r["name"]], [r["scope"]], [r["frequency"]], [r["notes"]], agencies(r["lead"])])
    return header, widths, body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in ["quang-nam-cltk-2022", "kon-tum-1012-2024", "dong-thap-thong-ke-2026"]:
        with open(os.path.join(args.shared, "seeds", "expected", f"{name}.tasks.csv"), encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        title, header, widths, body = shape(name, rows)
        extra = None
        indicators = os.path.join(args.shared, "seeds", "expected", f"{name}.indicators.csv")
        if os.path.exists(indicators):
            with open(indicators, encoding="utf-8") as f:
                extra = indicator_table(list(csv.DictReader(f)))
        write_docx(os.path.join(args.out, f"{name}.docx"), title, header, widths, body, extra)
        write_pdf(os.path.join(args.out, f"{name}.pdf"), title, header, widths, body, extra)
    write_scan(os.path.join(args.out, "ban-scan.pdf"))


if __name__ == "__main__":
    main()
