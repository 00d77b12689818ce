"""Engine answers -> Discord messages, always within Discord's limits.

Limits (https://discord.com/developers/docs/resources/message#create-message and embed limits):
2,000 characters of content; up to 10 embeds; an embed's title 256, description 4,096, a field 1,024,
footer 2,048; 6,000 characters across all embeds of a message. Text is cut at a sentence boundary when
there is one in reach, else at a word boundary, never mid-word, and the cut is marked with an ellipsis.

Everything here is pure (no I/O); the cogs send what these functions build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Sequence

import discord

from corpus.reading.text import unspaced

MAX_CONTENT = 2000
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELD = 1024
MAX_FOOTER = 2048
MAX_EMBEDS_TOTAL = 6000
MAX_BUTTON_LABEL = 80
MAX_CHOICE_NAME = 100

ELLIPSIS = "…"
QUESTION_PREFIX = "**Question:** "
PAGE_SIZE = 3  # passages shown per answer page (one embed each)
MAX_CORRECTIONS = 5  # typo readings shown under an answer ("read \"x\" as \"y\"")
COLOUR = discord.Colour.blurple()
CLOSEST_COLOUR = discord.Colour.light_grey()  # passages shown when none really answers
MAX_SPEAKER_NAME = 60  # a speaker's name in a footer (two at most)

_SENTENCE_END = re.compile(r"""[.!?…]["'”’)\]]*(?=\s)""")
_INLINE_MARKDOWN = re.compile(r"([\\*_~|`\[\]<])")
_LINE_START_MARKDOWN = re.compile(r"^(\s*)([>#-])", re.MULTILINE)


# ---------------------------------------------------------------------------- text


def cut(text: str, limit: int, *, marker: str = ELLIPSIS) -> str:
    """``text`` if it fits in ``limit`` characters, else its longest prefix that ends at a sentence
    boundary (or failing that a word boundary) plus ``marker``, within ``limit`` characters in total.

    Never cuts inside a word unless a single word is longer than the limit (then there is no choice).
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit <= len(marker):
        return marker[:limit] if limit > 0 else ""
    room = limit - len(marker) - 1  # one for the space before the marker
    window = text[: room + 1]  # one past, to see whether the window ends on a boundary
    best_sentence = -1
    for m in _SENTENCE_END.finditer(window):
        if m.end() <= room:
            best_sentence = m.end()
    # Prefer a sentence boundary unless it throws away most of the room.
    if best_sentence >= max(1, room // 3):
        return text[:best_sentence].rstrip() + " " + marker
    space = window.rfind(" ", 0, room + 1)
    while space > 0 and window[space - 1].isspace():
        space -= 1
    if space > 0:
        return text[:space].rstrip() + " " + marker
    if best_sentence > 0:
        return text[:best_sentence].rstrip() + " " + marker
    # One enormous "word" (a URL, say): there is no boundary to cut at.
    return text[: limit - len(marker)] + marker


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def escape(text: str) -> str:
    """Escape Discord markdown (and mention syntax) so that quoted text renders verbatim."""
    text = _INLINE_MARKDOWN.sub(r"\\\1", text)
    return _LINE_START_MARKDOWN.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


_ESCAPED = re.compile(r"\\([\\*_~|`\[\]<>#-])")


def unescape(text: str) -> str:
    """The text :func:`escape` was given (for a question read back from an answer's content)."""
    return _ESCAPED.sub(r"\1", text)


def bold_matches(text: str, matched: Iterable[str]) -> str:
    """Escape ``text`` and put the words in ``matched`` in bold: case-insensitive, whole words only
    ("Interpol" is bold in "Interpol's" but not in "Interpolation")."""
    words = sorted({w.strip() for w in matched if w and w.strip()}, key=len, reverse=True)
    if not words:
        return escape(text)
    # Chinese, Japanese and Thai have no spaces to mark a word's edges: their matches are bold where found.
    spaced = [re.escape(w) for w in words if not unspaced(w)]
    alternatives = ([r"(?<!\w)(?:" + "|".join(spaced) + r")(?!\w)"] if spaced else [])
    alternatives += [re.escape(w) for w in words if unspaced(w)]
    pattern = re.compile("|".join(alternatives), re.IGNORECASE)
    out: list[str] = []
    pos = 0
    for m in pattern.finditer(text):
        out.append(escape(text[pos : m.start()]))
        out.append("**" + escape(m.group(0)) + "**")
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def split_rendered(text: str, limit: int, render=escape) -> list[str]:
    """All of ``text`` in consecutive pieces, each ``render``-ed within ``limit`` characters, cut at
    sentence (else word) boundaries: a passage too long for one embed, shown whole across several."""
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        n = limit
        while True:
            piece = cut(rest, n, marker="").rstrip() or rest[:1]
            shown = render(piece)
            if len(shown) <= limit or n <= 1:
                break
            n -= max(len(shown) - limit, 1)
        pieces.append(shown)
        rest = rest[len(piece):].strip()
    return pieces


def fit_rendered(text: str, limit: int, render=escape) -> str:
    """``render(cut(text, n))`` for the largest ``n`` whose rendered form is within ``limit``."""
    n = limit
    while n > 0:
        shown = render(cut(text, n))
        if len(shown) <= limit:
            return shown
        n -= max(len(shown) - limit, 1)
    return ""


def short_title(title: str, limit: int = MAX_TITLE) -> str:
    return cut(one_line(title) or "Untitled", limit)


def http_url(url: Optional[str]) -> Optional[str]:
    if url and re.match(r"https?://[^\s]+$", url) and len(url) <= 2000:
        return url
    return None


_DISCORD_MARKUP = re.compile(
    r"<(?:@[!&]?\d+|#\d+|a?:\w+:\d+|/[\w -]+:\d+|t:\d+(?::\w)?)>|(?<!\w)@(?:everyone|here)(?!\w)"
)


_MASKED_LINK = re.compile(r"\[([^\[\]\n]{0,200})\]\(\s*<?https?://[^\s)>]{1,2000}>?\s*\)")
_WEB_ADDRESS = re.compile(r"<?\bhttps?://[^\s>]{1,2000}>?")


def search_text(question: str) -> str:
    """The question without Discord markup (@everyone, @here, user, role and channel mentions, custom
    emoji, command and time tags) and web addresses (a masked link keeps its text): they are not words to
    search for. The question is still shown as asked."""
    text = _MASKED_LINK.sub(r" \1 ", question)
    text = _WEB_ADDRESS.sub(" ", text)
    return one_line(_DISCORD_MARKUP.sub(" ", text))


def question_content(question: str, extra: str = "") -> str:
    """The message content that carries the question (buttons read it back with :func:`question_from`).

    The question is escaped like passages: what a user typed is shown as typed, never as a masked link,
    spoiler or bold text inside the bot's own message."""
    room = MAX_CONTENT - len(QUESTION_PREFIX) - (len(extra) + 1 if extra else 0)
    line = QUESTION_PREFIX + fit_rendered(one_line(question), room)
    return line + ("\n" + extra if extra else "")


def question_from(content: Optional[str]) -> Optional[str]:
    """The question an answer message was for, or None if it is not one of our answers."""
    if not content or not content.startswith(QUESTION_PREFIX):
        return None
    first = content.split("\n", 1)[0][len(QUESTION_PREFIX):].strip()
    if first.endswith(ELLIPSIS):
        first = first[: -len(ELLIPSIS)].rstrip()
    return unescape(first) or None


def total_embed_chars(embeds: Sequence[discord.Embed]) -> int:
    return sum(len(e) for e in embeds)


# ---------------------------------------------------------------------------- answers


@dataclass
class Rendered:
    content: str
    embeds: list[discord.Embed]
    more_offset: Optional[int] = None  # offset of the next page, if there is one
    context_of: Optional[tuple[int, int]] = None  # (article_id, paragraph) for "Show context"
    link: Optional[tuple[str, str]] = None  # (label, url) for the link button
    # (label, article_id, paragraph) for each passage shown cut short: a "Read all" button for it
    read_all: list[tuple[str, int, int]] = field(default_factory=list)
    answered: bool = True  # False: nothing found, or only the closest passages (an ask channel stays quiet)
    shown: list[tuple[int, int]] = field(default_factory=list)  # (article_id, paragraph) shown: the vote buttons


def speakers_label(speakers: Optional[Sequence[str]]) -> str:
    """Who speaks in a paragraph, for its footer: at most two names ("A and B", "A, B and others"), each
    cut to MAX_SPEAKER_NAME. "He thanked China..." then says who "he" is."""
    names = list(dict.fromkeys(one_line(n) for n in speakers or () if n and n.strip()))
    shown = [cut(n, MAX_SPEAKER_NAME) for n in names[:2]]
    if len(names) > 2:
        return ", ".join(shown) + " and others"
    return " and ".join(shown)


def passage_footer(p, *, rank: Optional[int] = None, closest: bool = False, article: bool = True) -> str:
    """ "1. Vladimir Kolokoltsev · paragraph 12 of 24 · article #1" """
    parts = [speakers_label(getattr(p, "speakers", None)), f"paragraph {p.paragraph} of {p.paragraphs_total}"]
    if article:
        parts.append(f"article #{p.article_id}")
    if closest:
        parts.insert(0, "closest passage")
    footer = " · ".join(part for part in parts if part)
    return f"{rank}. {footer}" if rank is not None else footer


def _passage_embed(p, description_limit: int, *, rank: Optional[int] = None, closest: bool = False) -> discord.Embed:
    title = short_title(p.title)
    embed = discord.Embed(title=title, url=http_url(p.url), colour=CLOSEST_COLOUR if closest else COLOUR)
    embed.description = fit_rendered(p.text, description_limit, lambda t: bold_matches(t, p.matched))
    embed.set_footer(text=passage_footer(p, rank=rank, closest=closest))
    return embed


def _spread(budgets_total: int, fixed: list[int], cap: int) -> list[int]:
    """Split what is left of ``budgets_total`` after the fixed parts evenly, each at most ``cap``."""
    left = max(budgets_total - sum(fixed), 0)
    n = len(fixed)
    return [min(cap, left // n) for _ in range(n)] if n else []


def searched_in(article) -> str:
    """'**Title** (#12)': the one article a question was limited to, escaped."""
    return f"**{escape(short_title(article.title, 100))}** (#{article.id})"


def _articles_known(article_count: int) -> str:
    return "the 1 article I know" if article_count == 1 else f"the {article_count:,} articles I know"


def not_sure_line(article_count: int, article=None) -> str:
    """What an answer made of the closest passages says first (the CLI says the same)."""
    if article is not None:
        return f"I'm not sure {searched_in(article)} answers that; the closest passages:"
    known = _articles_known(article_count)
    return f"I'm not sure {'any of ' if article_count != 1 else ''}{known} answers that; the closest passages:"


def render_answer(answer, *, offset: int = 0, page_size: int = PAGE_SIZE, has_more: Optional[bool] = None,
                  article_count: int = 0, suggestions: Sequence = (), article=None) -> Rendered:
    """An engine ``Answer`` as a message. ``answer.results`` may hold one extra passage (to know that a
    next page exists); only ``page_size`` are shown. When no passage really answers, the closest ones are
    shown as such (grey, "closest passage"), without "More results". ``article``: the one article the
    question was limited to (its ``id`` and ``title``), named in the content."""
    results = list(answer.results)
    read_as = answer.corrections_note(limit=MAX_CORRECTIONS)
    closest = not answer.answered
    if not results or (closest and offset > 0):
        return render_not_found(answer.question, article_count=article_count, suggestions=suggestions,
                                paged=offset > 0, read_as=read_as, article=article)
    more = not closest and (has_more if has_more is not None else len(results) > page_size)
    shown = results[:page_size]
    if closest:
        extra = not_sure_line(article_count, article) + (f"\n-# {escape(read_as)}" if read_as else "")
    else:
        first, last = offset + 1, offset + len(shown)
        extra = f"-# passages {first}–{last}" if len(shown) > 1 else f"-# passage {first}"
        if article is not None:
            extra += f" · searched only {searched_in(article)}"
        if read_as:
            extra += f" · {escape(read_as)}"
    content = question_content(answer.question, extra)

    # Embeds share 6,000 characters: give each passage an even share of what titles/footers leave.
    def embed(i: int, p, budget: int) -> discord.Embed:
        return _passage_embed(p, budget, rank=offset + i + 1, closest=closest)

    fixed = [len(embed(i, p, 0)) for i, p in enumerate(shown)]
    budgets = _spread(MAX_EMBEDS_TOTAL - 50, fixed, MAX_DESCRIPTION)
    embeds = [embed(i, p, b) for i, (p, b) in enumerate(zip(shown, budgets))]
    cut_short = [(f"#{offset + i + 1}", p) for i, (p, e) in enumerate(zip(shown, embeds)) if _was_cut(p, e)]
    top = shown[0]
    url = http_url(top.url)
    return Rendered(
        content=content,
        embeds=embeds,
        more_offset=offset + len(shown) if more else None,
        context_of=(top.article_id, top.paragraph),
        link=("Open article", url) if url else None,
        read_all=_read_all_buttons(cut_short),
        answered=not closest,
        shown=[(p.article_id, p.paragraph) for p in shown],
    )


def _was_cut(p, embed: discord.Embed) -> bool:
    return embed.description != bold_matches(p.text.strip(), getattr(p, "matched", []) or [])


def _read_all_buttons(cut_short: list[tuple[str, Any]]) -> list[tuple[str, int, int]]:
    """"Read all" for the one passage cut short, "Read all #2" and so on when several are."""
    several = len(cut_short) > 1
    return [(f"Read all {name}" if several else "Read all", p.article_id, p.paragraph) for name, p in cut_short]


def render_not_found(question: str, *, article_count: int, suggestions: Sequence = (), paged: bool = False,
                     read_as: str = "", article=None) -> Rendered:
    """No passage to show. ``read_as``: ``Answer.corrections_note()``, how the question's typos were read;
    ``article``: the one article searched, if the question was limited to one."""
    if paged:
        text = "No more passages match that question."
    elif article is not None:
        text = f"I couldn't find that in {searched_in(article)}."
    else:
        text = f"I couldn't find that in {_articles_known(article_count)}."
        titles = [f"**{escape(short_title(s.title, 100))}**" for s in list(suggestions)[:3]]
        if titles:
            text += f"\nDid you mean {listing(titles)}? Try `/ask` with the `article` option."
    if read_as and not paged:
        text += f"\n-# {escape(read_as)}"
    return Rendered(content=question_content(question, text), embeds=[], answered=False)


def listing(items: Sequence[str]) -> str:
    """'A', 'A or B', 'A, B or C' (non-empty)."""
    items = list(items)
    return items[0] if len(items) <= 1 else ", ".join(items[:-1]) + " or " + items[-1]


def render_context(passages: Sequence, focus: int) -> Rendered:
    """The paragraphs around paragraph ``focus`` (one embed each, the focus one highlighted)."""
    passages = list(passages)
    if not passages:
        return Rendered(content="That article is gone or not visible here.", embeds=[])
    drafts = []
    for p in passages:
        e = discord.Embed(title=short_title(p.title) if p.paragraph == focus else None,
                          url=http_url(p.url) if p.paragraph == focus else None,
                          colour=COLOUR if p.paragraph == focus else discord.Colour.light_grey())
        e.set_footer(text=passage_footer(p, article=False))
        drafts.append(e)
    budgets = _spread(MAX_EMBEDS_TOTAL - 50, [len(e) for e in drafts], MAX_DESCRIPTION)
    for e, p, b in zip(drafts, passages, budgets):
        matched = getattr(p, "matched", []) or []
        e.description = fit_rendered(p.text, b, lambda t, m=matched: bold_matches(t, m))
    first = passages[0]
    url = http_url(first.url)
    return Rendered(
        content=f"Context for paragraph {focus} of {first.paragraphs_total} in **{escape(short_title(first.title, 200))}**",
        embeds=drafts,
        link=("Open article", url) if url else None,
        read_all=_read_all_buttons([(f"¶{p.paragraph}", p) for p, e in zip(passages, drafts) if _was_cut(p, e)]),
    )


def render_full(p) -> list[Rendered]:
    """One passage whole, however long: as many messages as it takes (one embed each; the first says
    which passage it is)."""
    pieces = split_rendered(p.text, MAX_DESCRIPTION - 96)
    heading = (f"Paragraph {p.paragraph} of {p.paragraphs_total} in **{escape(short_title(p.title, 200))}**"
               + (f" ({len(pieces)} parts)" if len(pieces) > 1 else ""))
    out = []
    for n, piece in enumerate(pieces, 1):
        embed = discord.Embed(description=piece, colour=COLOUR)
        if len(pieces) > 1:
            embed.set_footer(text=f"part {n} of {len(pieces)}")
        out.append(Rendered(content=heading if n == 1 else "", embeds=[embed]))
    return out


def choice_name(title: str, article_id: int) -> str:
    suffix = f" (#{article_id})"
    return cut(one_line(title) or "Untitled", MAX_CHOICE_NAME - len(suffix)) + suffix
