"""Junk removal for text copied off web pages: tickers, ad markers, captions, promos, footers.

Rules are general shapes of page furniture, not strings of one site. Line rules run before lines
are joined into paragraphs (a ticker is many short lines); paragraph rules run after.
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"[.!?…:;\"”’)]\s*$")
_BULLET = re.compile(r"^\s*(?:[•·▪●◦‣∙\-–*+]|\d+[.)])\s+")

# `\W*+`: the punctuation around a marker is taken whole, never given back one character at a time.
AD_MARKER = re.compile(
    r"^\W*+(?:advertisement|advertising|advert|ad|ads|sponsored(?: content)?|promoted|paid (?:post|content)"
    r"|story continues below(?: advertisement)?|continue reading(?: below| the main story)?"
    r"|scroll to continue(?: with content)?|article continues below|skip (?:to content|advert(?:isement)?)"
    r"|(?:listen to|share|print|save|email) this (?:article|story)|\d+ min(?:ute)? read)\W*+$",
    re.IGNORECASE,
)

_CAPTION_RULES = [
    re.compile(r"\balt\s*=", re.IGNORECASE),
    re.compile(r"<img\b", re.IGNORECASE),
    re.compile(r"^(?:image|photo|picture|video) (?:source|caption|copyright)\b", re.IGNORECASE),
    re.compile(r"^(?:pictured|above|below|top|main image|photo|image|picture)\s*:", re.IGNORECASE),
    # "... is seen in Heihe. File photo: Bloomberg" / "(Photo by Jane Doe/Getty Images)"
    re.compile(r"\b(?:file |staff |handout )?(?:photo|photograph|image|picture|pic)s?\s*(?:by|:)\s*"
               r"[A-Z][^.!?]{0,60}\)?\s*$", re.IGNORECASE),
    re.compile(r"\b(?:getty images|afp|reuters|ap photo|epa|shutterstock|bloomberg)\s*\)?\s*$", re.IGNORECASE),
]
_CAPTION_MAX_WORDS = 60

_FOOTER_RULES = [
    re.compile(r"^(?:this|the) (?:article|story|piece|report|column) (?:was |has been |is )?"
               r"(?:originally |first |also )?(?:appeared|published|ran|posted)", re.IGNORECASE),
    re.compile(r"^originally (?:published|appeared)\b", re.IGNORECASE),
    re.compile(r"\bcopyright\s*(?:©|\(c\))", re.IGNORECASE),
    re.compile(r"©\s*(?:\d{4}|[A-Z])"),
    re.compile(r"\ball rights reserved\b", re.IGNORECASE),
    re.compile(r"^(?:additional )?reporting by\b", re.IGNORECASE),
    re.compile(r"^(?:editing|edited|writing) by\b", re.IGNORECASE),
    re.compile(r"\breproduced with permission\b", re.IGNORECASE),
    re.compile(r"^(?:follow|like) (?:us|\w+) on (?:twitter|facebook|instagram|x|linkedin)\b", re.IGNORECASE),
    re.compile(r"^(?:read|see|watch) (?:more|also|next)\s*:", re.IGNORECASE),
    re.compile(r"^related(?: articles| stories| coverage| topics)?\s*:?$", re.IGNORECASE),
    re.compile(r"^(?:most (?:read|popular|viewed)|recommended|trending)(?: stories| articles)?\s*:?$", re.IGNORECASE),
]
_FOOTER_MAX_WORDS = 70

class _InOrder:
    """A word, then another later on: what `first.*then` means, found with two linear searches (as one
    pattern every "you" rescanned the rest: "you(you(you(…" is one word, so word caps don't bound it)."""

    def __init__(self, first: re.Pattern, then: re.Pattern) -> None:
        self.first, self.then = first, then

    def search(self, text: str):
        found = self.first.search(text)
        return found and self.then.search(text, found.end(), _line_end(text, found.end()))


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


# A promo speaks to the reader and sells something; one signal can be a quote, two are a pitch.
_PROMO_SIGNALS = [
    re.compile(r"^(?:do|did|are|have|want|looking|interested|need|ever|wish) (?:you|to|for)\b"
               r"|^(?:want|like|enjoy|love)(?:d)? (?:more|this|what you|reading)\b", re.IGNORECASE),
    re.compile(r"\b(?:sign up|subscribe|download (?:the|our)|follow us|click here|tap here|get the answers"
               r"|join (?:us|our)|explore (?:the|our)|visit (?:our|the \w+ (?:app|site|website))|try it"
               r"|learn more|find out more|read more|don't miss|never miss)\b", re.IGNORECASE),
    re.compile(r"\bour (?:new |free |award-winning |daily |weekly |latest )?(?:platform|newsletters?|app"
               r"|podcasts?|team|site|website|subscription|offers?)\b", re.IGNORECASE),
    re.compile(r"\bbrought to you by\b", re.IGNORECASE),
    re.compile(r"\baward-winning\b", re.IGNORECASE),
    re.compile(r"\b(?:newsletter|inbox|free trial|premium (?:content|access|subscription)|unlimited access)\b",
               re.IGNORECASE),
    _InOrder(re.compile(r"\b(?:you|your)\b", re.IGNORECASE), re.compile(r"\b(?:our|us)\b", re.IGNORECASE)),
]
_PROMO_MAX_WORDS = 90

# A link alone, maybe in brackets or followed by punctuation. Written so \S+ and what follows it never
# compete for the same characters ("\S+\W*" backtracked quadratically on "www.!!!!… x"). A run of
# punctuation is never given back (`\W*+`): what follows it starts with a letter, so that changes no match.
_BARE_LINK = re.compile(r"\W*+(?:https?://|www\.)\S+(?:\s\W*)?")


# Calls to action speak to the reader and ask for something: a click, a review, a subscription. They
# open the paragraph or follow a question to the reader ("Love photography? Get our magazine delivered…");
# a quote that happens to say the same ('"Send us anyone," he said') starts with its quotation mark.
_AT_START = r"(?:^|[?!] )"
_CALL_TO_ACTION = [re.compile(_AT_START + pattern, re.IGNORECASE) for pattern in (
    r"(?:click|tap) here\W*$",
    r"(?:send|email|show) us (?:your|a|an|some)\b",
    r"tell us (?:what|your|about|how|if|whether|why|where|when)\b",
    r"(?:get|have) (?:[\w'’&.-]+ ){1,6}delivered\b",
    r"(?:have your say|let us know|join the (?:conversation|discussion|debate))\b",
    r"(?:leave|add|post|share|write) (?:a|your) (?:comment|review|reply|thoughts|views)\b",
    r"(?:email|send|share|post|tweet)(?: us)? your (?:views|thoughts|comments|photos|pictures|videos|stories"
    r"|story|letters?|questions?|tips?|feedback)\b",
    r"(?:ask|contact|message|follow|find|join) us (?:on|at|via|in)\b",
)] + [re.compile(r"\b(?:click|tap|press) here (?:to|for)\b", re.IGNORECASE)]
_CALL_TO_ACTION_MAX_WORDS = 40

# A page's buttons and counters alone on a line: "comments", "Comments (48)", "12 comments", "Share this:".
_LABEL = re.compile(
    r"^(?:\d+ )?(?:comments?|replies|reply|share(?: this(?: article| story)?)?|like this|tweet|print|email"
    r"|tags|topics|show comments|view comments|leave a (?:comment|reply)|comments (?:are|have been) (?:closed|disabled))"
    r"(?: ?\(\d+\))?\W*$",
    re.IGNORECASE,
)
_KICKER_MAX_WORDS = 8

# "By Gwen Tallis, Transport Reporter", "Reporter: Hamish Boyd": a name, then maybe a role or a date.
_BYLINE = re.compile(r"^(?:By|BY|by|(?:[Ww]ritten|[Pp]osted|[Rr]eported|[Ww]ords|[Ss]tory) by:?|(?:Reporter|Author"
                     r"|Words|Writer)s?:) ?(?:[A-Z][\w.'’-]*+ ?){1,4}(?:[,|·•–-] ?[^.!?]{0,60})?$")
_BYLINE_MAX_WORDS = 15


def _is_kicker(paragraph: str) -> bool:
    """A section label above a story in capitals ("FA CUP SECOND ROUND"): not a sentence, not text."""
    if len(paragraph.split()) > _KICKER_MAX_WORDS:  # first: it rules out nearly every paragraph at once
        return False
    letters = [c for c in paragraph if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters) and not _SENTENCE_END.search(paragraph)


_ASCII_LETTERS = str.maketrans("", "", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_ASCII_DIGITS = str.maketrans("", "", "0123456789")


def _is_numeric_line(line: str) -> bool:
    """'3,415.51' or '+47.61 (+1.41%)': figures with next to no words."""
    chars = "".join(line.split())  # split() and isspace() agree on what is a space
    if not chars:
        return False
    if chars.isascii():  # every line of every article comes here: counted in C, not letter by letter
        letters = len(chars) - len(chars.translate(_ASCII_LETTERS))
        return letters / len(chars) < 0.25 and len(chars.translate(_ASCII_DIGITS)) < len(chars)
    if not any(map(str.isdigit, chars)):
        return False
    return sum(map(str.isalpha, chars)) / len(chars) < 0.25


def _is_short_label(line: str) -> bool:
    """A short line that is not a sentence: a ticker name, a market status."""
    stripped = line.strip()
    return (
        0 < len(stripped.split()) <= 8
        and not _SENTENCE_END.search(stripped)
        and (bool(_BULLET.match(stripped)) or any(c.isdigit() for c in stripped))
    )


def clean_lines(lines: list[str]) -> list[str]:
    """Blank out ad markers and ticker blocks; blank lines are kept so paragraphs stay apart."""
    junk = [bool(AD_MARKER.match(line)) if line.strip() else False for line in lines]
    numeric = [bool(line.strip()) and _is_numeric_line(line) for line in lines]
    junk = [j or n for j, n in zip(junk, numeric)]
    if any(numeric):  # a ticker needs figures to start from
        label = [bool(line.strip()) and _is_short_label(line) for line in lines]
        _spread_tickers(junk, numeric, label, [i for i, line in enumerate(lines) if line.strip()])
    return ["" if j else line for line, j in zip(lines, junk)]


def _spread_tickers(junk: list[bool], numeric: list[bool], label: list[bool], content: list[int]) -> None:
    """A ticker spreads: short labels within 3 lines of figures become junk, then labels next to those.

    A worklist visits each line once (rescanning every line until nothing changes was quadratic:
    8,000 short lines ending in one figure took 20 s).
    """
    todo = [k for k, i in enumerate(content) if junk[i] and (numeric[i] or label[i])]
    while todo:
        k = todo.pop()
        for n in range(max(0, k - 3), min(len(content), k + 4)):
            i = content[n]
            if not junk[i] and label[i]:
                junk[i] = True
                todo.append(n)


def junk_reason(paragraph: str) -> str | None:
    """Why a paragraph is page furniture rather than article text, or None if it is text."""
    n_words = len(paragraph.split())
    if AD_MARKER.match(paragraph):
        return "ad marker"
    if _is_numeric_line(paragraph):
        return "figures"
    if n_words <= _CAPTION_MAX_WORDS and any(rule.search(paragraph) for rule in _CAPTION_RULES):
        return "caption"
    if n_words <= _FOOTER_MAX_WORDS and any(rule.search(paragraph) for rule in _FOOTER_RULES):
        return "footer"
    if n_words <= _PROMO_MAX_WORDS and sum(bool(s.search(paragraph)) for s in _PROMO_SIGNALS) >= 2:
        return "promo"
    if _BARE_LINK.fullmatch(paragraph):
        return "bare link"
    if n_words <= _CALL_TO_ACTION_MAX_WORDS and any(rule.search(paragraph) for rule in _CALL_TO_ACTION):
        return "call to action"
    if _LABEL.match(paragraph) or _is_kicker(paragraph):
        return "label"
    if n_words <= _BYLINE_MAX_WORDS and _BYLINE.match(paragraph):
        return "byline"
    return None


def clean_paragraphs(paragraphs: list[str]) -> list[str]:
    """The article's paragraphs: shortcodes taken out, page furniture left out."""
    stripped = (strip_shortcodes(p) for p in paragraphs)
    return [p for p in stripped if p and junk_reason(p) is None]


# WordPress-style shortcodes left in the text when a site's plugin is gone: "[button link=…] Send us
# YOUR kit review [/button]". A tag is a shortcode when it closes, has attributes, is one of the page's
# furniture or is closed later on; "[sic]" and "[Reuters]" are text. Values stop at brackets, so no
# match runs past the next tag and the scan stays linear.
_SHORTCODE_TAG = re.compile(
    r"\[(/?)([a-z][\w-]{0,40})((?:\s++[\w-]{1,40}(?:=(?:\"[^\"\[\]]*\"|'[^'\[\]]*'|[^\s\[\]'\"]*+))?)*+)\s*+/?\]",
    re.IGNORECASE,
)
_SHORTCODE_CLOSER = re.compile(r"\[/([a-z][\w-]{0,40})\]", re.IGNORECASE)
# Shortcodes whose content is furniture too (a button's label, a caption, an embedded player).
FURNITURE_SHORTCODES = {
    "button", "caption", "wp_caption", "embed", "gallery", "video", "audio", "playlist", "pullquote",
    "cta", "call_to_action", "newsletter", "subscribe", "signup", "social", "share", "ad", "ads", "advert",
    "advertisement", "related", "related_posts", "contact-form", "contact-form-7", "mc4wp_form", "tweet",
    "twitter", "instagram", "facebook", "youtube", "vimeo", "soundcloud", "spotify", "poll", "quiz", "btn",
    "ad_slot", "adsense", "affiliate",
}


def _is_furniture(name: str) -> bool:
    """A furniture shortcode, or a plugin's prefixed one: su_button, vc_btn, et_pb_button."""
    return name in FURNITURE_SHORTCODES or name.rsplit("_", 1)[-1] in FURNITURE_SHORTCODES


def strip_shortcodes(paragraph: str) -> str:
    """The paragraph without shortcode tags, and without the content of furniture shortcodes."""
    if "[" not in paragraph or "]" not in paragraph:
        return paragraph
    lower = paragraph.lower()
    closed = {m.group(1).lower() for m in _SHORTCODE_CLOSER.finditer(paragraph)}
    kept, pos = [], 0
    for tag in _SHORTCODE_TAG.finditer(paragraph):
        if tag.start() < pos:  # inside furniture already cut
            continue
        closing, name, attributes = tag.group(1), tag.group(2).lower(), tag.group(3)
        if not (closing or "=" in attributes or _is_furniture(name) or name in closed):
            continue
        kept.append(paragraph[pos:tag.start()])
        pos = tag.end()
        if not closing and _is_furniture(name) and name in closed:
            end = lower.find(f"[/{name}]", tag.end())  # the text scanned is cut, so each character once
            if end >= 0:
                pos = end + len(name) + 3
    kept.append(paragraph[pos:])
    return re.sub(r"\s+", " ", "".join(kept)).strip() if pos else paragraph
