"""Who said what: attribute each paragraph's reported speech to a person, at ingest.

News reports speech as "X said", "said X", "according to X", quotes, and then keeps going with "he
added" or "the minister complained". We track the people an article introduces (name, surname,
the role words around them) and resolve pronouns and role descriptions to the one they refer to.
Heuristic, fast, no model: it only has to be right about who speaks in a paragraph.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice

from .names import COURTESY_TITLES, NOT_NAMES, ORG_WORDS, read_name  # noqa: F401 (COURTESY_TITLES: search)
from .text import sentences

# The attribution rules' number: raised with every change to who is found speaking, so that a database
# stored by older rules is read again when it is opened (corpus.storage.speaker_refresh).
# 2: issue 22's labels (no places, weekdays or listeners; organisations whole; one label a speaker).
ATTRIBUTION = 2

SPEECH_VERBS = (
    "said|says|say|told|tells|added|adds|noted|notes|stated|states|argued|argues|claimed|claims|complained|"
    "complains|warned|warns|insisted|insists|explained|explains|suggested|suggests|stressed|stresses|"
    "admitted|admits|denied|denies|asked|asks|praised|praises|thanked|thanks|proposed|proposes|urged|urges|"
    "called|calls|described|describes|believes|believed|thinks|thought|predicted|predicts|maintained|"
    "acknowledged|acknowledges|announced|announces|revealed|reveals|commented|comments|concurred|agreed|"
    "agrees|criticised|criticized|criticises|accused|accuses|welcomed|welcomes|rejected|rejects|expressed|"
    "hoped|hopes|wrote|writes|replied|replies|responded|responds|recalled|recalls|pointed out|went on|"
    "continued|confirmed|confirms|emphasised|emphasized|conceded|concedes|declared|declares|vowed|vows|"
    "pledged|promised|promises|questioned|dismissed|defended|defends|reckons|reckoned|feels|felt|joked|"
    "observed|remarked|announced|unveiled|blamed|blames|estimated|estimates|forecast|forecasts|expects|"
    "expected|saying|adding|telling|urging|warning|insisting|arguing|claiming|predicting|promising"
)


def alternation(words) -> str:
    """A regex matching any of `words` (tried in the order given), as a tree of their shared beginnings:
    "said|says|say" is "sa(?:id|ys|y)". Python's re tries a flat alternation's branches one by one at
    each position (about 180 verbs, 200 role words); the tree tries one branch per letter. Equivalent:
    branches with different first letters never match at the same place, and those sharing one keep
    their order."""
    words = list(dict.fromkeys(words))
    if words == [""]:
        return ""
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[:1], []).append(word[1:])
    branches = [re.escape(first) + alternation(rests) if first else "" for first, rests in groups.items()]
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


_VERB = rf"(?P<verb>{alternation(SPEECH_VERBS.split('|'))})\b"
# One word per repetition ("has also" is "has" then "also"): with both spellings listed, "has also has
# also …" could be read 2^n ways and a 30-fold repeat ran for hours.
_ADVERB = r"(?:(?:also|later|then|previously|earlier|recently|further|repeatedly|has|had|have|was|is|would|will)\s+)*"

# A name or title starts a word: never inside one, nor after an apostrophe or hyphen ("ex-" aside:
# "ex-Foreign Secretary Robin Cook"). Besides being right ("MPs" holds no "Ps"), this keeps every
# pattern linear: "AAAA…" or "Aa'Aa'Aa…" tried at each capital rescanned the rest of the word each
# time (quadratic: 17 s for one 48 KB paragraph, issue #11).
_WORD_START = r"(?:(?<![\w'’\-])|(?<=(?<![\w'’\-])ex-))"
# "Straberg", "O'Sullivan", "McDonald", "Germany's", "Smith-Jones", "J.", "MP" before a name. Atomic: a
# token never gives characters back (nothing after a name could use them), so failures cost one pass.
_NAME_TOKEN = (_WORD_START + r"(?>[A-Z](?:['’][A-Z])?[a-zà-ÿ]+(?:[A-Z][a-zà-ÿ]+)?(?:['’\-][A-Za-zà-ÿ]+)*"
               r"|[A-Z]\.|[A-Z][A-Z]+(?=\s+[A-Z][a-z]))")
_PARTICLE = r"(?:de|da|van|von|bin|al|der|la|le|du|dos|del|di)"
# Up to six words: "Home Office Minister Hazel Blears" is read whole, not as "Minister Hazel".
NAME = rf"{_NAME_TOKEN}(?:\s+(?:{_PARTICLE}\s+)?{_NAME_TOKEN}){{0,5}}"
TITLES = _WORD_START + r"(?:Mr|Mrs|Ms|Miss|Dr|Sir|Lord|Lady|Dame|Prof|Professor|President|Chancellor|Minister|Senator|Judge|Rev|General|Gen|Captain|Capt|Coach)\.?"
_ROLE_TITLES = frozenset("president chancellor minister senator judge general captain coach professor prof".split())

ROLE_WORDS = frozenset(
    """minister ministers secretary chancellor president premier leader chief head executive chairman
    chairwoman chair spokesman spokeswoman spokesperson director manager boss coach captain player striker
    midfielder defender goalkeeper keeper star singer actor actress host presenter researcher analyst
    economist expert professor official officer commissioner governor mayor senator judge lawyer
    prosecutor founder editor deputy former general ambassador diplomat envoy chief-executive owner
    spokesmen analysts officials critics campaigner campaigners author writer director-general
    commander inspector detective spokesperson investor banker trader strategist adviser advisor
    consultant veteran champion winner rival opponent chairman-elect candidate mp mep councillor
    king queen prince princess pope bishop archbishop tory labour conservative liberal democrat
    producer officer doctor agent scientist engineer designer developer creator organiser promoter publisher
    correspondent reporter journalist columnist commentator pundit novelist playwright poet composer musician
    artist photographer drummer guitarist bassist rapper comedian broadcaster filmmaker film-maker stalwart
    legend winger fly-half flanker""".split()
)

_PRONOUN_RE = re.compile(rf"(?:^|[\s\"“,])(?P<p>[Hh]e|[Ss]he)\s+{_ADVERB}{_VERB}")
# '"...," said he.' ends there; in ", claiming he had" the pronoun is the claim's, not the speaker.
_PRONOUN_AFTER_RE = re.compile(rf"[,\"”]\s*{_VERB}\s+(?P<p>he|she)\b(?=\s*(?:[.,;:!?\"”’)]|$))")
_NAME_VERB_RE = re.compile(
    rf"(?:(?P<title>{TITLES})\s+)?(?P<name>{NAME})(?P<poss>'s?)?(?P<appos>,\s+[^\"“”]{{3,220}}?,)?,?\s+{_ADVERB}{_VERB}"
)
# '"...," said Jonny Evans, news editor at Macworld magazine.': the appositive gives the role.
_VERB_NAME_RE = re.compile(rf"[,\"”]\s*{_VERB}\s+(?:(?P<title>{TITLES})\s+)?(?P<name>{NAME})(?P<appos>,\s+[^\"“”.,]{{3,120}})?")
# '"...," said Electrolux chief executive Hans Straberg' / "said Sandvine's chief technology officer Marc
# Morin": the role words (with a few others among them) stand between verb and name.
_ROLE_WORD = alternation(sorted(ROLE_WORDS, key=len, reverse=True))
_VERB_ROLE_NAME_RE = re.compile(
    rf"[,\"”]\s*{_VERB}\s+(?P<org>(?:[A-Z][\w&'’\-]*\s+){{0,3}})(?P<role>(?:(?:[a-z][\w\-]*\s+){{0,2}}{_ROLE_WORD}\s+){{1,3}})"
    rf"(?P<name>{NAME})"
)
# "Alan Milburn, Labour's election strategist told Radio 4": an appositive ending in a role, no closing comma.
_NAME_ROLE_VERB_RE = re.compile(
    rf"(?:(?P<title>{TITLES})\s+)?(?P<name>{NAME}),\s+(?P<appos>[^\"“”,.;]{{0,60}}?\b{_ROLE_WORD})\s+{_ADVERB}{_VERB}"
)
_ACCORDING_RE = re.compile(rf"\b[Aa]ccording to\s+(?:(?P<title>{TITLES})\s+)?(?P<name>{NAME})")
_ROLE_VERB_RE = re.compile(
    rf"{_WORD_START}(?P<det>[Tt]he|[Aa]n?|[Hh]is|[Hh]er|[Tt]heir|(?P<owner>(?:[A-Z][\w\-]*+\s+){{0,2}}[A-Z][\w\-]*+['’]s?))"
    rf"\s+(?P<role>(?:[\w\-]+\s+){{0,5}}?[\w\-]+)\s+{_ADVERB}{_VERB}"
)
_VERB_ROLE_RE = re.compile(rf"[,\"”]\s*{_VERB}\s+(?P<det>the|a|an|his|her)\s+(?P<role>(?:[\w\-]+\s+){{0,4}}?[\w\-]+)")
_MENTION_RE = re.compile(rf"(?:(?P<title>{TITLES})\s+)?(?P<name>{NAME})")
_QUOTE_START = re.compile(r"^\s*[\"“‘']")
# "Gordon Brown's", "Sandvine's": the owner is the word without its possessive.
_POSSESSIVE_RE = re.compile(r"['’]s?$")
_PHRASE_WORD_RE = re.compile(r"[\w\-]+(?:&[\w\-]+)*(?:['’]s?)?")
# Every speech pattern above needs a speech verb or "according to": a sentence without either skips them.
_SPEECH_HINT_RE = re.compile(rf"\b{_VERB}|[Aa]ccording to")
_ROLE_CONTEXT_RE = re.compile(r"[\w\-&']+")
# Names inside quotes don't speak. A quote runs to the next quote mark of any kind, so an opening mark
# that is never closed costs one scan to the next mark, not one to the end of the sentence per mark.
_QUOTED_RE = re.compile(r"([\"“])([^\"“”]*)([\"”])")

# Bounds that keep attribution linear on text crafted to defeat it; real articles stay far below them.
# Each scan of the article's people looks at the most recent few, and a sentence yields a few speakers.
_RECENT_PEOPLE = 50         # people a pronoun or "the minister" may point back to
_NAMESAKES = 30             # people sharing one name or surname that a new mention is compared with
_MATCHES_PER_SENTENCE = 24  # of each speech pattern


@dataclass
class Person:
    name: str
    gender: str | None = None
    roles: set[str] = field(default_factory=set)
    order: int = field(default=-1, compare=False)  # position in the article's list of people
    spoke: bool = field(default=False, compare=False)  # found speaking in an earlier sentence
    anonymous: bool = field(default=False, compare=False)  # met by description only ("a spokesman")

    @property
    def surname(self) -> str:
        return self.name.split()[-1]


@dataclass
class Speaker:
    name: str
    role: str = ""


class _Article:
    def __init__(self) -> None:
        self.people: list[Person] = []
        self.last_speaker: Person | None = None
        # The person the latest sentence that opened with a name was about ("Federer dropped a set ...
        # 'It was about the surface,' he said": he is Federer, not the one quoted before), and when:
        # sentences are counted, and a pronoun means whichever of the two came later.
        self.last_subject: Person | None = None
        self.sentence = self.speaker_sentence = self.subject_sentence = 0
        self.next_subject: Person | None = None
        # People by each word of their name, so a mention is compared with its namesakes only.
        self._by_word: dict[str, list[Person]] = defaultdict(list)

    def _add(self, p: Person) -> Person:
        p.order = len(self.people)
        self.people.append(p)
        self._index(p)
        return p

    def _index(self, p: Person) -> None:
        for word in set(p.name.split()):
            if not any(q is p for q in self._by_word[word][-_NAMESAKES:]):
                self._by_word[word].append(p)

    def _namesakes(self, tokens: list[str]) -> list[Person]:
        """People whose name holds one of these words, most recent first."""
        found = {p.order: p for t in tokens for p in self._by_word.get(t, [])[-_NAMESAKES:]}
        return [found[k] for k in sorted(found, reverse=True)]

    def named(self, surname: str) -> Person | None:
        """The person most recently met whose surname this is (nobody new)."""
        found = [p for p in self._by_word.get(surname, [])[-_NAMESAKES:] if p.surname == surname]
        return max(found, key=lambda p: p.order) if found else None

    def recent(self) -> list[Person]:
        return list(islice(reversed(self.people), _RECENT_PEOPLE))

    def person(self, name: str, *, title: str | None = None, roles: set[str] | None = None) -> Person | None:
        # "Chancellor Gordon Brown's report": the person is Gordon Brown, met again as "Mr Brown".
        read = read_name(name, title, ROLE_WORDS)
        if read is None:
            return None
        tokens, described = read
        roles = set(roles or ()) | described
        name = " ".join(tokens)
        if len(tokens) == 1 and not title and not (roles & ROLE_WORDS):
            namesakes = [p for p in self._namesakes(tokens) if p.surname == tokens[0]]
            if not namesakes:
                return None  # a lone capitalised word is as likely a place or an agency as a person
        if title and title.rstrip(".").lower() in _ROLE_TITLES:  # "Chancellor Gordon Brown" is the chancellor
            roles.add(title.rstrip(".").lower())
        gender = {"Mr": "m", "Sir": "m", "Lord": "m", "Mrs": "f", "Ms": "f", "Miss": "f", "Lady": "f",
                  "Dame": "f"}.get((title or "").rstrip("."))
        same = [p for p in self._namesakes(tokens) if p.name == name or (p.surname == tokens[-1]
                and not _other_first_name(p.name, tokens)) or (len(tokens) == 1 and name in p.name.split())]
        if same:
            # Two people may share a surname (Wang Yi, Wang Xiaohong): the role words decide, then recency.
            exact = [p for p in same if p.name == name]
            p = exact[0] if exact else max(same, key=lambda q: len(q.roles & roles))
            if len(tokens) > 1 and len(p.name.split()) == 1:
                p.name = name
                self._index(p)
            p.gender = p.gender or gender
            if len(tokens) > 1 or not exact:
                p.roles |= roles
            return p
        if len(tokens) == 1 and not title and not (roles & ROLE_WORDS):
            return None
        described = self._described(roles)
        if described is not None:  # "The finance minister has urged ... Finance Minister Tom McCabe said"
            described.name, described.gender, described.anonymous = name, gender, False
            described.roles |= roles
            self._index(described)
            return described
        return self._add(Person(name, gender, roles))

    def _described(self, roles: set[str]) -> Person | None:
        """Someone met only by description whose role this name now has: the same person, named."""
        for p in self.recent():
            if p.anonymous and (p.roles & ROLE_WORDS) and (p.roles & ROLE_WORDS) <= roles:
                return p
        return None

    def by_role(self, phrase: str, *, named_after=lambda p: False) -> Person | None:
        words = [w.lower() for w in re.findall(r"[\w\-]+", phrase)]
        head = words[-1] if words else ""
        if head not in ROLE_WORDS:
            return None
        best, best_score = None, 0
        for p in self.recent():  # most recent first wins ties
            if head not in p.roles and head.rstrip("s") not in p.roles or named_after(p):
                continue
            score = len(set(words) & p.roles)
            if score > best_score:
                best, best_score = p, score
        return best

    def anonymous(self, phrase: str) -> Person:
        words = set(_phrase_words(phrase))
        return self._add(Person(phrase.strip(), None, words, anonymous=True))


def _other_first_name(name: str, tokens: list[str]) -> bool:
    """"Quincy Jones" is not "Norah Jones": two first names that differ (an initial matches its name)."""
    known = name.split()
    if len(known) != 2 or len(tokens) != 2:
        return False
    a, b = known[0].rstrip("."), tokens[0].rstrip(".")
    return not (a.startswith(b) or b.startswith(a))


def _role_words_before(sentence: "_Sentence", start: int) -> set[str]:
    """'Russian Minister of Internal Affairs Vladimir Kolokoltsev' -> {russian, minister, internal, affairs}."""
    out: list[str] = []
    for w in sentence.words_before(start, 7):
        lw = w.lower()
        if lw in ROLE_WORDS or (w[0].isupper() and lw not in {"the", "a", "an"}) or lw in {"of", "and", "security", "public", "foreign", "affairs", "internal", "finance", "prime", "vice", "top", "senior"}:
            out.append(lw)
        else:
            break
    return {w for w in out if w not in {"of", "and"}}


# Where a name or title can begin: a capital that starts a word (see _WORD_START). One scan of the
# sentence for these, then the name patterns tried there only, is the same as the patterns' own search
# (finditer tries every position, here 4 times slower: a pattern opening with a lookbehind gives re no
# letter to skip ahead to).
_NAME_START_RE = re.compile(r"[A-Z](?:(?<![\w'’\-].)|(?<=(?<![\w'’\-])ex-.))")
# Where _ROLE_VERB_RE can begin: "the", "a(n)", "his", "her", "their" or a capital, starting a word.
_ROLE_START_RE = re.compile(r"[A-Zaht](?:(?<![\w'’\-].)|(?<=(?<![\w'’\-])ex-.))")
# The words a speech hint needs (the first of "pointed out", "went on"), and "according to".
_HINT_WORDS = frozenset(v.split()[0] for v in SPEECH_VERBS.split("|"))
_WORD_RUN_RE = re.compile(r"\w+")
_WORDS_BACK_CHARS = 40  # a window that holds the last few words before a name (widened when it does not)


class _Sentence:
    """A sentence as the speech patterns read it: quotes blanked (names inside them don't speak; the
    closing mark stays, as '"...," said X' needs it), where names can start found once."""

    def __init__(self, text: str) -> None:
        self.text = _QUOTED_RE.sub(lambda m: m.group(1) + " " * len(m.group(2)) + m.group(3), text)
        self._name_starts: list[int] | None = None

    def name_starts(self) -> list[int]:
        if self._name_starts is None:
            self._name_starts = [m.start() for m in _NAME_START_RE.finditer(self.text)]
        return self._name_starts

    def role_starts(self) -> list[int]:
        return [m.start() for m in _ROLE_START_RE.finditer(self.text)]

    def has_speech_hint(self) -> bool:
        """Every speech pattern needs a speech verb or "according to" (a set lookup rules most out)."""
        text = self.text
        if "ccording to" not in text and _HINT_WORDS.isdisjoint(_WORD_RUN_RE.findall(text)):
            return False
        return bool(_SPEECH_HINT_RE.search(text))

    def words_before(self, end: int, count: int) -> list[str]:
        """The last `count` words of text[:end], last first (a word running past `end` is cut there).
        Read from a window before `end`, not the whole sentence (a sentence with many names stays
        linear), widened until it holds one word more than asked: its first word may be cut at its start."""
        width = _WORDS_BACK_CHARS * count
        while True:
            start = max(0, end - width)
            found = _ROLE_CONTEXT_RE.findall(self.text, start, end)
            if start == 0 or len(found) > count:
                return found[:-count - 1:-1]
            width *= 2


def _phrase_words(text: str) -> list[str]:
    """Lower-cased words of a role phrase, possessives dropped: "Sandvine's chief" -> sandvine, chief."""
    return [w for w in (_POSSESSIVE_RE.sub("", x.lower()) for x in _PHRASE_WORD_RE.findall(text)) if w]


def _appositive_roles(appos: str | None) -> set[str]:
    if not appos:
        return set()
    return set(_phrase_words(appos)[:10]) - {"a", "an", "the", "of"}


def _register_mentions(state: _Article, sentence: _Sentence, *, quoted: bool = False) -> dict[int, int]:
    """Register the people named in a sentence; returns {id(person): position} for those new here. A
    sentence inside a quote ("...damaging. Gordon Brown knows it...") has no subject of the report's."""
    known = len(state.people)
    new: dict[int, int] = {}
    subject: Person | None | bool = None  # the first person named: the subject if it opens the sentence
    for m in _matches_at(_MENTION_RE, sentence.text, sentence.name_starts(), limit=None):
        name = m.group("name")
        tokens = [t for t in name.split() if t not in NOT_NAMES]
        if not tokens:
            continue  # "The", "But": nobody (Article.person would say so after reading the role words)
        roles = _role_words_before(sentence, m.start())
        p = None
        if len(tokens) == 1 and not m.group("title") and _describes_next(sentence, m.end()):
            continue  # "former Liverpool defender Alan Hansen": the club describes the one named next
        if len(tokens) >= 2 or m.group("title") or roles & ROLE_WORDS:
            p = state.person(name, title=m.group("title"), roles=roles)
            if p is not None and p.order >= known:
                new.setdefault(id(p), m.start())
        elif subject is None:
            p = state.named(_POSSESSIVE_RE.sub("", tokens[-1]))
        if p is not None and subject is None:
            subject = p if _opens_clause(sentence.text[:m.start()]) else False
    if subject and not quoted:  # for the sentences after this one: "Mr Blair has ..., he said" is not his
        state.next_subject = subject
    return new


_ROLE_THEN_NAME_RE = re.compile(r"\s+([\w'\-]+)(?:\s+([A-Z]))?")


def _describes_next(sentence: _Sentence, end: int) -> bool:
    """A lone capitalised word before a role word, or before a word and a name, describes the one named
    next: "former Liverpool defender Alan Hansen", "former Liverpool stalwart Alan Hansen"."""
    following = _ROLE_THEN_NAME_RE.match(sentence.text, end)
    if not following:
        return False
    word = following.group(1)
    return word.lower() in ROLE_WORDS or (word.islower() and following.group(2) is not None)


_CLAUSE_OPENERS = frozenset("But And Yet However Meanwhile So Then Now Still Earlier Later".split())


def _opens_clause(before: str) -> bool:
    """A name at the start of a sentence, or after its opening phrase ("In a separate development, Robin
    Cook gave his support"), is what the sentence is about."""
    before = before.rstrip()
    return not before or before[-1] == "," or before in _CLAUSE_OPENERS


def attribute(paragraphs: list[str]) -> list[list[Speaker]]:
    """For each paragraph, the people whose speech it reports (in order, without repeats)."""
    state = _Article()
    out: list[list[Speaker]] = []
    for paragraph in paragraphs:
        found: list[Person] = []
        marks = 0  # quote marks so far in the paragraph: odd, and a sentence is inside a quote
        for sentence in sentences(paragraph):
            state.sentence += 1
            in_sentence = _speakers_in(state, sentence, quoted=marks % 2 == 1)
            marks += sum(sentence.count(q) for q in '"“”')
            if state.next_subject is not None:
                state.last_subject, state.subject_sentence = state.next_subject, state.sentence
                state.next_subject = None
            if in_sentence:
                state.speaker_sentence = state.sentence
                for p in in_sentence:
                    p.spoke = True
                # The sentence's first speaker is its subject ("Mr Balls said Mr Brown's budget..."):
                # the one a following "he" most likely means.
                state.last_speaker = in_sentence[0]
            found.extend(in_sentence)
        if not found and _QUOTE_START.match(paragraph) and state.last_speaker is not None:
            found.append(state.last_speaker)  # an unattributed quote continues the last speaker
        unique: dict[tuple, Person] = {}  # without repeats, as Person compares: name, gender and roles
        for p in found:
            unique.setdefault((p.name, p.gender, frozenset(p.roles)), p)
        out.append([Speaker(p.name, " ".join(sorted(p.roles))) for p in unique.values()])
    return out


def _speakers_in(state: _Article, text: str, *, quoted: bool = False) -> list[Person]:
    sentence = _Sentence(text)
    plain = sentence.text
    new_here = _register_mentions(state, sentence, quoted=quoted)
    if not sentence.has_speech_hint():
        return []
    hits: list[tuple[int, Person]] = []
    with_role = {m.start(): m for m in _matches(_VERB_ROLE_NAME_RE, plain) if _reports_speech(sentence, m)}
    for m in with_role.values():
        roles = set(_phrase_words(m.group("org") + " " + m.group("role")))
        p = state.person(m.group("name"), roles=roles)
        if p:
            hits.append((m.start(), p))
    for regex in (_NAME_VERB_RE, _NAME_ROLE_VERB_RE, _VERB_NAME_RE, _ACCORDING_RE):
        if regex is _ACCORDING_RE and "ccording to" not in plain:
            continue
        found = (_matches_at(regex, plain, sentence.name_starts()) if regex in _NAME_LED
                 else _matches(regex, plain))
        for m in found:
            if regex is _VERB_NAME_RE and m.start() in with_role:
                continue  # "said Dresdner Kleinwort analyst Mike Powell": the bank is not the speaker
            if not _reports_speech(sentence, m) or (regex in _NAME_LED and _governed(sentence, m.start())):
                continue
            roles = _role_words_before(sentence, m.start()) | _appositive_roles(m.groupdict().get("appos"))
            p = state.person(m.group("name"), title=m.group("title"), roles=roles)
            if p:
                hits.append((m.start(), p))
    for regex in (_ROLE_VERB_RE, _VERB_ROLE_RE):
        found = (_matches_at(regex, plain, sentence.role_starts()) if regex is _ROLE_VERB_RE
                 else _matches(regex, plain))
        for m in found:
            role = m.group("role")
            words = [w.lower() for w in re.findall(r"[\w\-]+", role)]
            if not set(words) & ROLE_WORDS or not _reports_speech(sentence, m):
                continue
            # "the chancellor said the cuts proposed by shadow chancellor Oliver Letwin": not Letwin
            p = state.by_role(role, named_after=lambda q: new_here.get(id(q), -1) > m.start())
            # Someone described but not named: the description ends in the role ("Kenteris' lawyer Gregory
            # Ioannidis told" names him, and the name patterns find him).
            nameless = words[-1] in ROLE_WORDS and not {"and", "or"} & set(words)  # not "a deficit and analysts"
            if p is None and nameless and m.group("det").lower() in {"a", "an"}:
                p = state.anonymous(role)
            elif p is None and nameless and m.groupdict().get("owner"):  # "Mike Tindall's agent has warned"
                p = state.anonymous(m.group("owner") + " " + role)
            if p:
                hits.append((m.start(), p))
    for regex in (_PRONOUN_RE, _PRONOUN_AFTER_RE):
        for m in _matches(regex, plain):
            if not _reports_speech(sentence, m):
                continue
            p = _resolve_pronoun(state, m.group("p").lower(), hits, m.start(), new_here)
            if p:
                hits.append((m.start(), p))
    hits.sort(key=lambda h: h[0])
    return [p for _, p in hits]


_PASSIVE_BEFORE = frozenset("is was are were be been being".split())  # "is expected to", "was warned by"
_NOT_SPOKEN_AFTER = {  # "expects to start", "added the conversion", "continued her rise", "went on to win"
    **dict.fromkeys(("expects", "expected"), frozenset({"to"})),
    **dict.fromkeys(("added", "adds", "adding", "continued", "went on"),
                    frozenset("the a an his her their its to another".split())),
}
_NEXT_WORD_RE = re.compile(r"\s+([\w']+)")
# A name right after one of these is the object of something else: "freed from Guantanamo Bay telling
# them", "the head of Lloyd's of London said", "the Department for International Development said".
_GOVERNING_WORDS = frozenset("of for from in at by with on to into under against".split())


def _reports_speech(sentence: _Sentence, m: re.Match) -> bool:
    """Whether a speech pattern's verb reports speech: not passive ("Giggs is expected to recover"), not an
    intention or an addition ("Gardener added the Olympic relay crown"), not after a possessive ("Gordon
    Brown's forecasts for tax revenues", "Mr Bush's proposed spending")."""
    verb = m.groupdict().get("verb")
    if verb is None:  # "according to"
        return True
    if not verb.endswith("ing") and any(w.lower() in _PASSIVE_BEFORE for w in sentence.words_before(m.start("verb"), 1)):
        return False
    after = _NOT_SPOKEN_AFTER.get(verb)
    if after:
        following = _NEXT_WORD_RE.match(sentence.text, m.end("verb"))
        if following and (following.group(1).lower() in after or following.group(1)[0].isdigit()):
            return False
    name = m.groupdict().get("name")
    owner = bool(name) and m.start("name") < m.start("verb") and bool(_POSSESSIVE_RE.search(name))
    return not (m.groupdict().get("poss") or owner)


def _governed(sentence: _Sentence, start: int) -> bool:
    return any(w in _GOVERNING_WORDS for w in sentence.words_before(start, 1))


def _matches(regex: re.Pattern, sentence: str):
    return islice(regex.finditer(sentence), _MATCHES_PER_SENTENCE)


_NAME_LED = (_NAME_VERB_RE, _NAME_ROLE_VERB_RE)


def _matches_at(regex: re.Pattern, text: str, starts: list[int], limit: int | None = _MATCHES_PER_SENTENCE):
    """regex.finditer(text), for a pattern that can only match at one of `starts` (ascending): tried at
    those only, each match resuming after the last one's end as finditer does."""
    end = 0
    for pos in starts:
        if pos < end:
            continue
        m = regex.match(text, pos)
        if m:
            yield m
            if limit is not None:
                limit -= 1
                if not limit:
                    return
            end = m.end()


def _resolve_pronoun(state: _Article, pronoun: str, hits: list[tuple[int, Person]], at: int,
                     first_named: dict[int, int]) -> Person | None:
    """The person a "he"/"she" at position `at` means: a speaker earlier in the sentence, else the last
    speaker or the last sentence's subject (whichever is later), else the person named most recently;
    never one first named after the pronoun."""
    gender = "m" if pronoun == "he" else "f"
    before = [p for pos, p in sorted(hits, key=lambda h: h[0]) if pos < at]
    candidates = list(reversed(before))
    latest = [state.last_speaker, state.last_subject]
    if state.subject_sentence > state.speaker_sentence:
        latest.reverse()
    candidates += [p for p in latest if p is not None]
    # Of the others named, only someone known as a person: a title, a role or speech of their own
    # ("Bolshevik Russia", "Associated Press" are capitalised words, not who "she" is).
    candidates += [p for p in state.recent() if p.gender or p.roles & ROLE_WORDS or p.spoke]
    for p in candidates:
        # "He told BBC Sport": a pronoun points back, never to someone first named after it.
        if p.gender in (None, gender) and first_named.get(id(p), at) <= at:
            return p
    return None
