"""The minutes and letters as print-quality PDF, made on this server by WeasyPrint with no network.

The PDF is the same sanitised HTML the pages and emails show (``render.to_html``), set on A4
(England) or US Letter with the title at the head of each page and "Page n of m" at the foot.
Nothing is fetched while it is made: the HTML holds no images or stylesheets by address (nh3 lets
none through), and the URL fetcher refuses anything that asks.

WeasyPrint draws text with Pango, a system library: where it is missing, :func:`unavailable`
says so in a sentence and the pages offer the browser's own "Print or save as PDF" instead.
"""
import functools
from pathlib import Path

from markupsafe import escape

from . import render

MIME = "application/pdf"
_CSS = Path(__file__).with_name("pdf.css")
PAGE_SIZES = {"england": "A4", "us": "letter"}


@functools.cache
def unavailable():
    """Return why PDFs cannot be made here (a sentence for the person running the server), or None."""
    try:
        import weasyprint  # noqa: F401
    except ImportError:
        return "PDF needs the WeasyPrint package (pip install weasyprint)."
    except OSError:  # WeasyPrint is installed but Pango is not
        return "PDF needs the Pango library (on Debian: apt install libpango-1.0-0 libpangoft2-1.0-0)."
    return None


def _refuse(url, *args, **kwargs):
    raise ValueError("Minuted makes PDFs without fetching anything")


def to_pdf(markdown_text, title, jurisdiction="england", author=None):
    """Return the Markdown as PDF bytes (``title`` at the head of each page and in the document's properties)."""
    import weasyprint

    lang = "en-US" if jurisdiction == "us" else "en-GB"
    title = render.clean_text(title)
    meta = f'<meta name="author" content="{escape(render.clean_text(author))}">' if author else ""
    # a letter's Markdown starts at "Dear…": its subject goes at the top, as a letter's "Re:" line would
    subject = "" if markdown_text.lstrip().startswith("# ") else f'<p class="subject">{escape(title)}</p>'
    page = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)}</title>{meta}'
            f'</head><body><p class="running-title">{escape(title)}</p>{subject}<article>'
            f'{render.to_html(markdown_text)}</article></body></html>')
    css = _CSS.read_text(encoding="utf-8").replace("size: A4", f"size: {PAGE_SIZES.get(jurisdiction, 'A4')}")
    document = weasyprint.HTML(string=page, url_fetcher=_refuse)
    return document.write_pdf(stylesheets=[weasyprint.CSS(string=css, url_fetcher=_refuse)])
