"""Markdown in, sanitised HTML / plain text / DOCX out.

Markdown here is written by the draft templates (with every captured value
escaped by ``md_escape``) and then edited by the parent, so it is untrusted:
raw HTML in it is never passed through (the HTML parsers of Python-Markdown
are switched off) and the HTML that comes out is cleaned again with nh3
before anything marks it safe (STYLE.md house rule 10).
"""
import io
import re

import markdown
import nh3
from markupsafe import Markup

# characters that would change the structure of a Markdown line mid-line (links need "[", emphasis
# "*"/"_", code "`", a closing heading "#"); all are backslash-escapable, so the text reads back exactly.
# "<" needs no escape: raw HTML is switched off in to_html.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#])")
_MD_UNESCAPE = re.compile(r"\\([\\`*_\[\]{}()#+!|.\->])")
# C0 controls (other than tab) are not allowed in DOCX XML, email headers or .ics
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

ALLOWED_TAGS = {
    "p", "br", "h1", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "blockquote", "code", "pre", "hr", "a",
}


class Md(str):
    """Markdown that is already safe to put into a draft as is (built from escaped parts)."""


def clean_text(text):
    """Return text on one line with control characters removed (for any output format)."""
    return " ".join(_CONTROL.sub("", str(text)).split())


def md_escape(value):
    """Escape a captured value for Markdown: one line, no structure (links, emphasis, headings, HTML)."""
    if isinstance(value, Md):
        return value
    if value is None:
        return ""
    return _MD_SPECIAL.sub(r"\\\1", clean_text(value))


# what would make a line of someone's own text (a signature) a list item, a quote or a rule
_LINE_MARK = re.compile(r"^(?:([-+>])(?=\s|$)|(\d+)([.)])(?=\s|$))")
_RULE_LINE = re.compile(r"[-=_*~.\s]*")


def md_lines(value):
    """Escape multi-line text (a signature) for Markdown: each line kept, as a hard line break, with no structure.

    Blank lines and separator lines ("--", "====") are dropped, so the text is
    one paragraph; a line that would start a list or a quote is escaped.
    """
    if isinstance(value, Md):
        return value
    lines = []
    for raw in str(value or "").splitlines():
        if _RULE_LINE.fullmatch(clean_text(raw)):
            continue
        line = _LINE_MARK.sub(lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}",
                              md_escape(raw))
        lines.append(line)
    # two spaces at a line's end: a Markdown hard line break (<br> in HTML, a new line in text and DOCX)
    return Md("  \n".join(lines))


def md_unescape(text):
    """Undo md_escape (for plain text out)."""
    return _MD_UNESCAPE.sub(r"\1", text)


def _converter():
    md = markdown.Markdown(extensions=["sane_lists"], output_format="html")
    # no raw HTML, ever: `<script>` typed into a note stays text
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    for name in ("autolink", "automail"):
        md.inlinePatterns.deregister(name)
    return md


def to_html(text):
    """Render Markdown to HTML that is safe to put in a page or an email (nh3-cleaned)."""
    html = _converter().convert(_CONTROL.sub("", text or ""))
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Markup(cleaned)


# --- plain text and DOCX share one reading of the Markdown: a list of blocks ---

_HEADING = re.compile(r"^(#{1,4})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*(\d+)[.)]\s+(.*)$")
_INLINE = re.compile(r"(?<!\\)(\*\*|__)(.+?)(?<!\\)\1|(?<![\\*\w])([*_])(?!\s)(.+?)(?<![\\\s])\3(?!\w)")
_LINK = re.compile(r"(?<!\\)\[([^\]]*)\]\(([^)\s]*)\)")


def blocks(text):
    """Read Markdown into blocks: (kind, level, inline_markdown) with kind heading | bullet | number | para.

    A paragraph's lines are joined with a space, or with a new line after a
    line that ends in two spaces (Markdown's hard line break, as to_html has it).
    """
    out, para = [], []

    def flush():
        if para:
            out.append(("para", 0, "".join(para).rstrip()))
            para.clear()

    for raw in _CONTROL.sub("", text or "").splitlines():
        line = raw.rstrip()
        if not line.strip():
            flush()
            continue
        if line.strip() in ("---", "***", "___"):
            flush()
            continue
        m = _HEADING.match(line)
        if m:
            flush()
            out.append(("heading", len(m.group(1)), m.group(2).strip()))
            continue
        m = _BULLET.match(line)
        if m:
            flush()
            out.append(("bullet", 0, m.group(1)))
            continue
        m = _NUMBERED.match(line)
        if m:
            flush()
            out.append(("number", int(m.group(1)), m.group(2)))
            continue
        if line.startswith(">"):
            line = line.lstrip("> ")
        if out and out[-1][0] in ("bullet", "number") and not para and raw.startswith((" ", "\t")):
            kind, level, prev = out.pop()
            out.append((kind, level, prev + " " + line.strip()))
            continue
        para.append(line.strip() + ("\n" if raw.endswith("  ") else " "))
    flush()
    return out


def runs(inline):
    """Split inline Markdown into (text, bold, italic) runs with escapes undone."""
    inline = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(2) else m.group(1), inline)
    result, pos = [], 0
    for m in _INLINE.finditer(inline):
        if m.start() > pos:
            result.append((md_unescape(inline[pos:m.start()]), False, False))
        if m.group(1):
            result.append((md_unescape(m.group(2)), True, False))
        else:
            result.append((md_unescape(m.group(4)), False, True))
        pos = m.end()
    if pos < len(inline):
        result.append((md_unescape(inline[pos:]), False, False))
    return [r for r in result if r[0]]


def plain(inline):
    return "".join(text for text, _, _ in runs(inline))


def plain_lines(text):
    """Return the text of each block as it appears in the plain-text email and the DOCX."""
    lines = []
    for kind, level, inline in blocks(text):
        body = plain(inline)
        if kind == "bullet":
            body = "• " + body
        elif kind == "number":
            body = f"{level}. {body}"
        lines.append(body)
    return lines


def to_text(text):
    """Render Markdown as plain text (the text/plain part of the email, copy, share)."""
    out, previous = [], None
    for (kind, _, _), line in zip(blocks(text), plain_lines(text)):
        # a blank line between blocks, except inside a list
        if out and not (kind == previous and kind in ("bullet", "number")):
            out.append("")
        out.append(line)
        previous = kind
    return "\n".join(out).strip() + "\n"


def to_docx(text, title=None):
    """Render Markdown as a Word document; return its bytes."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    if title:
        doc.core_properties.title = clean_text(title)[:250]
    doc.core_properties.author = "Minuted (parent's record)"
    for kind, level, inline in blocks(text):
        if kind == "heading":
            paragraph = doc.add_heading(level=min(level, 4))
        elif kind == "bullet":
            paragraph = doc.add_paragraph(style="List Bullet")
        elif kind == "number":
            paragraph = doc.add_paragraph(style="List Number")
        else:
            paragraph = doc.add_paragraph()
        for body, bold, italic in runs(inline):
            run = paragraph.add_run(body)
            run.bold = bold or None
            run.italic = italic or None
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def docx_lines(data):
    """Read a DOCX back into the lines plain_lines gives (list numbers and bullets added back)."""
    from docx import Document

    doc = Document(io.BytesIO(data))
    lines, counter = [], 0
    for p in doc.paragraphs:
        name = p.style.name if p.style is not None else ""
        if name == "List Number":
            counter += 1
            lines.append(f"{counter}. {p.text}")
            continue
        counter = 0
        lines.append(("• " + p.text) if name == "List Bullet" else p.text)
    return lines
