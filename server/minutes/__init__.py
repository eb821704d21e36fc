"""Minutes: drafted from the timeline and transcript, reviewed, sent in writing.

Plain Python (no views): ``drafting`` builds the Markdown from what was
captured, ``render`` turns Markdown into sanitised HTML, plain text and DOCX,
``mail`` builds and sends the email through a backend seam, ``letters`` drafts
follow-up letters, ``suggestions`` finds what the parent may have missed and
``calendar`` makes the .ics.
"""
