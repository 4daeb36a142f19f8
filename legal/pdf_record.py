"""The PDF of record of one language of a version: rendered once, stored, never made again.

The only module that knows fpdf2 and the font. The text is the version's stored, sanitised
HTML set in Be Vietnam Pro (a typeface drawn for Vietnamese, shipped as a Python package,
so nothing is downloaded at run time), as real, selectable text. Every page's footer names
the document, version, effective date, SHA-256 and permanent address; the exact Markdown
is embedded as an associated file (PDF/A-3B), so the PDF carries the bytes its hash is of.

`build_missing` makes the PDFs that do not exist yet; `fetch_timestamps` and
`backfill_evidence` run it after the commit, never the publish itself.
"""

import hashlib
import importlib.resources
import logging
import re

from fpdf import FPDF
from fpdf.errors import FPDFException
from fpdf.fonts import TextStyle

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from .links import absolute_url
from .models import DocumentVersion, RecordPdf
from .signals import versions_changed

logger = logging.getLogger(__name__)

FONT_FILES = importlib.resources.files("fontpkg_be_vietnam_pro") / "files"
FONT = "BeVietnamPro"
# The section links of the web page ("#") mean nothing on paper.
_PERMALINK = re.compile(r'<a class="permalink"[^>]*>.*?</a>', re.S)
# The page's leading, on paper: paragraphs and lists at 1.45 lines.
_SPACED = re.compile(r"<(p|ul|ol)>")


def _tag_styles():
    """Headings as on the page: the text face, bold, black, sized down from the title. Code
    too is set in the text face: PDF's core Courier has no Vietnamese letters."""
    sizes = {"h1": 16, "h2": 14, "h3": 12, "h4": 11, "h5": 10, "h6": 10}
    styles = {
        tag: TextStyle(font_family=FONT, font_style="B", font_size_pt=size, color=(0, 0, 0), t_margin=5, b_margin=0)
        for tag, size in sizes.items()
    }
    styles["code"] = TextStyle(font_family=FONT, color=(60, 60, 60))
    styles["pre"] = TextStyle(font_family=FONT, color=(60, 60, 60), t_margin=2, b_margin=2)
    return styles


class _RecordDocument(FPDF):
    def __init__(self, footer_lines):
        super().__init__(format="A4", enforce_compliance="PDFA_3B")
        self.footer_lines = footer_lines
        for style, name in (("", "Regular"), ("B", "Bold"), ("I", "Italic"), ("BI", "BoldItalic")):
            self.add_font(FONT, style, FONT_FILES / f"BeVietnamPro-{name}.ttf")
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(True, margin=30)

    def footer(self):
        self.set_y(-24)
        self.set_x(self.l_margin)
        self.set_font(FONT, size=7)
        self.set_text_color(70, 70, 70)
        self.multi_cell(0, 3.4, "\n".join(self.footer_lines), align="C", new_x="LMARGIN", new_y="NEXT")
        self.cell(0, 3.4, f"{self.page_no()}/{{nb}}", align="C")


def permanent_url(version, language):
    return absolute_url(language, "legal:version", slug=version.document.slug, number=version.number)


def render_pdf(version, language):
    """The PDF (bytes) of `language` of the listed `version`."""
    markdown = getattr(version, f"body_{language}").encode("utf-8")
    sha256 = getattr(version, f"body_sha256_{language}")
    title = getattr(version, f"title_{language}")
    with translation.override(language):
        effective = date_format(localtime(version.effective_at), "DATETIME_FORMAT")
        line = _("%(title)s · version %(number)s · effective %(date)s") % {
            "title": title,
            "number": version.number,
            "date": effective,
        }
        footer = [line, f"SHA-256 {sha256}", permanent_url(version, language)]
        attachment_note = _("The exact Markdown text is attached to this PDF as %(name)s.")
    name = f"{version.document.slug}-v{version.number}.{language}.md"
    html = _PERMALINK.sub("", getattr(version, f"body_html_{language}"))
    html = _SPACED.sub(r'<\1 line-height="1.45">', html)
    try:
        return _compose(version, language, title, line, footer, name, markdown, html=html)
    except (FPDFException, ValueError, KeyError, IndexError) as error:
        # A structure the PDF library cannot lay out (an irregular table): the text as typed.
        logger.warning("PDF of %s %s: HTML layout failed (%s); set as plain text", version, language, error)
        return _compose(version, language, title, line, footer, name, markdown, note=attachment_note % {"name": name})


def _compose(version, language, title, line, footer, name, markdown, *, html=None, note=None):
    pdf = _RecordDocument(footer)
    pdf.set_title(title)
    pdf.set_author("Sigma.video")
    pdf.set_lang(language)
    pdf.set_creation_date(version.published_at)
    pdf.add_page()
    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(70, 70, 70)
    pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "", 10)
    if html is not None:
        pdf.write_html(html, font_family=FONT, li_prefix_color=(0, 0, 0), tag_styles=_tag_styles())
    else:
        pdf.multi_cell(0, 5, note + "\n\n" + markdown.decode("utf-8"), new_x="LMARGIN", new_y="NEXT")
    pdf.embed_file(
        bytes=markdown,
        basename=name,
        mime_type="text/markdown",
        modification_date=version.published_at,
        associated_file_relationship="Source",
    )
    return bytes(pdf.output())


def missing(limit):
    """(version, language) pairs of listed versions that have no PDF yet, oldest first."""
    pairs = []
    versions = DocumentVersion.objects.listed().select_related("document").prefetch_related("record_pdfs")
    for version in versions.order_by("published_at", "pk").iterator(chunk_size=50):
        made = {pdf.language for pdf in version.record_pdfs.all()}
        pairs.extend((version, language) for language in version.complete_languages if language not in made)
        if len(pairs) >= limit:
            break
    return pairs[:limit]


def build_missing(*, limit=20):
    """Make and store the PDFs that do not exist yet, at most `limit`. Returns (made, failed)."""
    made, failed = [], []
    for version, language in missing(limit):
        try:
            content = render_pdf(version, language)
        except Exception:  # one bad text must not stop the others; it is tried again next run
            logger.exception("PDF of %s %s could not be made", version, language)
            failed.append((version, language))
            continue
        try:
            with transaction.atomic():
                RecordPdf(
                    version=version, language=language, pdf=content, sha256=hashlib.sha256(content).hexdigest()
                ).save()
        except IntegrityError:  # another worker stored it first: the record is made once
            continue
        made.append((version, language))
    if made:
        # Version pages link a PDF once it exists: retire the cached ones without the link.
        versions_changed.send(sender=RecordPdf, document=None)
    return made, failed
