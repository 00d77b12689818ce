"""Which words of a capitalised run name the speaker: "(X speaking)" must be a person or organisation,
whole, never a place, a weekday, a nationality or a sentence adverb (issue 22).

corpus.reading.speakers finds runs of capitalised words next to a speech verb ("Home Office Minister
Hazel Blears said", "Human Rights Watch said", "France's Snecma has said"); `read_name` says which of
their words are the name, and which describe the speaker (its role words).
"""

from __future__ import annotations

import re
from functools import lru_cache

# Capitalised words that start sentences or name things but are never people.
NOT_NAMES = frozenset(
    """The A An This That These Those It Its He She They We I You His Her Their Our But And Or So Yet
    If When While As At In On Of For From By With After Before Since Although Though However Meanwhile
    Mr Mrs Ms Dr Sir Lord Lady Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February
    March April May June July August September October November December Next Last Earlier Later
    Speaking Asked According Both Many Some Most Other Others Analysts Officials Experts Critics Police
    Following Despite During Under Over Now Then There Here What Why How Where Who Which
    Nevertheless Nonetheless Instead Indeed Still Also Even Only Just Yesterday Today Tomorrow Leading
    Without Within Among Amid Like Unlike Until Once Whether Because My Your Every Each All Such Nor Not No
    Having Being Given Including Besides Beyond Against Across Along Around Through Throughout""".split()
)

# A capitalised run ending in one of these names an organisation, an event or a place, not a person.
ORG_WORDS = frozenset(
    """Sport Sports News Radio Television TV Slam Cup League Club United City Rovers Athletic Party Council
    Office Court Commission Bank Group Ltd Inc Corp Company Association Federation Union Committee Board
    Agency Ministry Department Service Services Times Post Journal Magazine Institute University College
    School Trust Foundation Society Airlines Airways Motors Records Studios Pictures Games Championship
    Championships Open Olympics Tour Awards Festival Street Square House Palace Stadium Park Cathedral Church
    Hospital Museum Gallery Theatre Prison Airport Station Standard Telegraph Guardian Herald Mail Express
    Mirror Observer Gazette Tribune Chronicle Chartered Exchange Authority Organisation Organization Fund
    Management Capital Partners Securities Holdings Research Media Network Channel Communications Systems
    Technologies Software Bureau Institution Alliance Coalition Forum Centre Center Dems Democrats Republicans
    Tories Conservatives Nationalists Greens Hotel Hotels Restaurant Cinema Arena Trophy Prize
    Press Labour Lords Commons Valley Bay Island Islands River Sea Ocean Coast Gulf County Province Republic
    Kingdom States Emirates Globe Globes Oscars Baftas Grammys""".split()
)

# Courtesy titles: "Mr Park" is a person although "Park" ends the names of places; "General Motors" is not.
COURTESY_TITLES = frozenset("mr mrs ms miss dr sir lord lady dame prof".split())

# Capitalised words that describe a speaker before the name ("Finance Minister Palaniappan Chidambaram",
# "Frenchman Ronald Pognon"), lower-cased; with corpus.reading.speakers.ROLE_WORDS.
DESCRIBING_WORDS = frozenset(
    """security public foreign affairs internal finance prime vice top senior home office exchequer defence
    health culture trade industry education transport environment treasury justice interior economics
    economy development international energy commerce attorney shadow state lt col sgt det supt insp
    cardinal sheikh rabbi imam american british briton french frenchman german spanish spaniard italian
    russian chinese japanese indian australian canadian irish scottish scot welsh welshman english
    englishman dutch dutchman swiss swede swedish norwegian danish dane finnish belgian austrian greek
    turkish polish czech brazilian argentine argentinian mexican kenyan nigerian african israeli palestinian
    iraqi iranian egyptian pakistani korean ukrainian georgian european asian arab us uk eu un""".split()
)

_POSSESSIVE_RE = re.compile(r"['’]s?$")
# "Paris-based Euronext", "London-listed": a place made into a describing word.
_DESCRIPTOR_RE = re.compile(r"^[A-Z][\w'’]*-[a-z]")


@lru_cache(maxsize=4)
def _describing(role_words: frozenset) -> frozenset:
    return role_words | DESCRIBING_WORDS


def read_name(run: str, title: str | None, role_words: frozenset) -> tuple[list[str], set[str]] | None:
    """The name's words in a capitalised run, and the describing words before them (lower-cased), or None
    when the run is not a speaker's name.

    The name starts after the last word that cannot be in one ("Stars In Their Eyes"), an owner ("France's
    Snecma", "Sinn Fein's Gerry Adams") or a describing word made of a place ("Paris-based Euronext"). A
    run that starts with "The" is a title ("The Weakest Link"). Of three words or more, the last two are the
    name when the words before them describe a person ("Internal Affairs Vladimir Kolokoltsev"); otherwise
    the run is one name, whole ("Human Rights Watch", "Media Labs Europe", "Rhodri Glyn Thomas")."""
    words = run.split()
    if len(words) > 1 and words[0] == "The":
        return None
    start = 0
    for i, word in enumerate(words[:-1]):
        if word in NOT_NAMES or _POSSESSIVE_RE.search(word) or _DESCRIPTOR_RE.match(word):
            start = i + 1
    described = {_POSSESSIVE_RE.sub("", w).lower() for w in words[:start] if w not in NOT_NAMES}
    tokens = [_POSSESSIVE_RE.sub("", w) for w in words[start:] if w not in NOT_NAMES]
    courtesy = bool(title) and title.rstrip(".").lower() in COURTESY_TITLES
    if not tokens or (tokens[-1] in ORG_WORDS and not courtesy) or _DESCRIPTOR_RE.match(tokens[-1]):
        return None
    describing = _describing(role_words)
    if {t.lower() for t in tokens} <= describing:
        return None  # "Scottish Finance Minister, Tom McCabe MSP, said": a role, the name comes after
    leading = {t.lower() for t in tokens[:-2]}
    if leading & describing:
        described |= leading
        tokens = tokens[-2:]
    return tokens, described - {""}
