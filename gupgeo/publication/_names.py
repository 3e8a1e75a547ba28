"""Names in free text: after a civility ("Mme Durand", "Mme.Dupontel", "MmeX") or a
trigger word ("signalé par Anne Martin", "famille Martin", "chez Dupont", "de la part
de X"), read on the detection view of the text (:mod:`gupgeo.publication.normalise`).

A name written without a civility nor a trigger word ("Jean Dupont") cannot be told
apart from other capitalised words and is not found. Every quantifier is bounded: a
search is linear in the length of the text.
"""

from __future__ import annotations

import re
import unicodedata

from gupgeo.publication._windows import finditer_from, occurrences

NAME_TOKEN = "[nom masqué]"
Span = tuple[int, int, str]

_UP = "A-ZÀ-ÖØ-Þ"
_WORD = r"(?:[dDlL]['’]\s{0,2})?[^\W\d_][\w'’\-]{0,40}\.?"
_WORDS = rf"(?P<words>{_WORD}(?:\s{{1,3}}{_WORD}){{0,4}})"
_NOT_BEFORE_NAME = r"[\w.'’\-]"
# Civilities after which the name may be in lower case ("mme durand"), any case.
_CIVILITY = "adame|onsieur|ademoiselle|esdames|essieurs|mes|me|lles|lle|elles|elle|rs|r"
_STRONG = re.compile(rf"[mM](?<!{_NOT_BEFORE_NAME}.)(?i:{_CIVILITY})\.?(?=\s{{1,3}}" + _WORDS + ")")
# The same civilities glued to the name: "Mme.Dupontel", "mlle.durand", "MmeX", "MrMartin"
# (without the dot, only before a capital).
_GLUED = re.compile(
    rf"[mM](?<!{_NOT_BEFORE_NAME}.)(?i:mes|me|lles|lle|elles|elle|rs|r|adame|onsieur)"
    rf"(?:\.(?=(?P<glued>[^\W\d_][\w'’\-]{{0,40}}))|(?=(?P<capital>[{_UP}][\w'’\-]{{0,40}})))"
)
# Civilities that are also ordinary words or letters: only before a capitalised name.
_WEAK = re.compile(
    rf"(?:M(?<!{_NOT_BEFORE_NAME}M)(?:M|e|(?i:a[iî]tre))?|m(?<!{_NOT_BEFORE_NAME}m)(?i:a[iî]tre)"
    rf"|D(?<!{_NOT_BEFORE_NAME}D)(?:r|(?i:octeur))|d(?<!{_NOT_BEFORE_NAME}d)(?i:octeur)"
    rf"|P(?<!{_NOT_BEFORE_NAME}P)(?:r|(?i:rofesseur))|p(?<!{_NOT_BEFORE_NAME}p)(?i:rofesseur))"
    rf"\.?(?:(?=\s{{1,3}}{_WORDS})|(?<=\.)(?=(?P<glued>[{_UP}][\w'’\-]{{0,40}})))"
)
# "Plainte de Jean Zorglub", "signalé par Anne Martin", "contact : P. Durand", "famille
# Martin", "chez Dupont", "de la part de X", "nom : Durand": the first
# letter is read, then the rest of the trigger word is chosen by that letter.
_PAR = r"[ée]?e?s?\s{1,3}par(?:\s{0,2}:)?"
_DE = r"s?\s{1,3}(?:de\b|d['’])"
_COLON = r"\s{0,2}:"
_TRIGGER = re.compile(
    r"[sdrtepacmfnlovéSDRTEPACMFNLOVÉ](?<!\w.)(?i:"
    rf"(?<=s)ignal{_PAR}"
    rf"|(?<=d)(?:[ée]clar{_PAR}|[ée]pos{_PAR}|[ée]clarante?{_COLON}|emandeu(?:r|se){_COLON})"
    rf"|(?<=r)(?:apport{_PAR}|[ée]clamation{_DE}|equ[ée]rante?{_COLON})"
    rf"|(?<=t)(?:ransmis{_PAR}|[ée]moignage{_DE}|[ée]moin{_COLON})"
    rf"|(?<=e)(?:nvoy{_PAR}|poux|pouse)|(?<=é)pou(?:x|se)|(?<=v)(?:euve|ve\.?)"
    rf"|(?<=p)(?:lainte{_DE}|art{_DE}|r[ée]nom{_COLON})"
    rf"|(?<=a)(?:ppel{_DE}|uteure?{_COLON})"
    rf"|(?<=c)(?:ourrier{_DE}|ontact{_COLON}|hez)|(?<=m)essage{_DE}"
    rf"|(?<=f)am(?:illes?|\.|(?=\s))(?:{_COLON})?|(?<=n)om{_COLON}"
    rf"|(?<=l)ocataire{_COLON}|(?<=o)ccupante?{_COLON}"
    r")(?=\s{0,3}" + _WORDS + ")"
)
_CIVILITIES = (
    "mme",
    "mr",
    "mlle",
    "melle",
    "madame",
    "monsieur",
    "mademoiselle",
    "mesdames",
    "messieurs",
)
"""What a civility of :data:`_STRONG` or :data:`_GLUED` holds, in lower case."""
_WEAK_WORDS = ("maitre", "maître", "docteur", "professeur")
"""What a civility of :data:`_WEAK` holds in lower case, when it holds no capital M, D, P."""
TRIGGER_STEMS = (
    "signal",
    "clar",
    "pos",
    "apport",
    "clamation",
    "requ",
    "ransmis",
    "moign",
    "moin",
    "nvoy",
    "plainte",
    "part",
    "appel",
    "auteur",
    "ourrier",
    "ontact",
    "chez",
    "essage",
    "fam",
    "poux",
    "pouse",
    "veuve",
    "vve",
    "nom",
    "locataire",
    "occupant",
    "emandeu",
)
"""A piece of every trigger word, in lower case: a text holding none of them is not
searched for triggers (a few substring searches instead of a scan trying most letters)."""
_PARTICLES = frozenset({"de", "du", "des", "van", "von", "da", "di"})
_ARTICLES = frozenset({"le", "la", "les", "l"})
_STOP = frozenset(
    {
        # grammar words
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "cette",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "en",
        "est",
        "et",
        "il",
        "ils",
        "je",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "ma",
        "mais",
        "me",
        "mes",
        "mon",
        "ne",
        "nous",
        "on",
        "ou",
        "par",
        "pas",
        "pour",
        "qu",
        "que",
        "qui",
        "s",
        "sa",
        "sans",
        "se",
        "ses",
        "si",
        "son",
        "sur",
        "un",
        "une",
        "vous",
        "votre",
        "vos",
        "y",
        "the",
        "avait",
        "etait",
        "sera",
        "dit",
        "indique",
        "signale",
        "souhaite",
        "souhaiterait",
        "demande",
        "precise",
        "explique",
        "habite",
        "reside",
        "appelle",
        "rappelle",
        "voudrait",
        "aimerait",
        "pense",
        "trouve",
        "constate",
        "declare",
        "vit",
        "vient",
        "passe",
        "attend",
        "refuse",
        "accepte",
        # functions and roles, not names
        "maire",
        "adjoint",
        "adjointe",
        "prefet",
        "prefete",
        "directeur",
        "directrice",
        "president",
        "presidente",
        "depute",
        "deputee",
        "senateur",
        "senatrice",
        "gardien",
        "gardienne",
        "conseiller",
        "conseillere",
        "commissaire",
        "procureur",
        "juge",
        "ministre",
        "chef",
        "responsable",
        "agent",
        "agente",
        "habitant",
        "habitante",
        "locataire",
        "riverain",
        "riveraine",
        "voisin",
        "voisine",
        "ouvrage",
        "oeuvre",
        "œuvre",
        "madame",
        "monsieur",
        "mme",
        "mr",
        "inconnu",
        "inconnue",
        "anonyme",
        # places and bodies met after "plainte de", "signalé par"
        "rue",
        "avenue",
        "av",
        "place",
        "allee",
        "boulevard",
        "bd",
        "quai",
        "impasse",
        "chemin",
        "route",
        "square",
        "cite",
        "residence",
        "batiment",
        "bat",
        "escalier",
        "mairie",
        "ville",
        "metropole",
        "tours",
        "habitat",
        "service",
        "services",
        "police",
        "gendarmerie",
        "bailleur",
        "association",
        "collectif",
        "conseil",
        "comite",
        "centre",
        "ecole",
        "college",
        "lycee",
        "telephone",
        "mail",
        "courriel",
        "courrier",
        "internet",
        "application",
        "appli",
    }
)
_TITLES = frozenset(
    {"maire", "prefet", "prefete", "directeur", "directrice", "president", "presidente"}
)


def _key(word: str) -> str:
    word = word.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("Æ", "Ae")
    text = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower()
    return text.strip("'’-")


def _is_cap(word: str) -> bool:
    return word[:1].isupper()


_APOSTROPHE = re.compile(r"([dDlL])['’]\s*(.+)")


def _name_end(words: str, *, lower_ok: bool) -> int:
    """Characters of ``words`` (words separated by spaces) that form a name, 0 if none.

    A name is: optional particles (de, du, des, de la, d', de l'), a word that is
    neither a grammar word, a function nor a place, then more capitalised words
    (particles allowed), five words at most. ``lower_ok``: the first word may be in
    lower case (after "mme", "madame"…), and is then the whole name. A capitalised
    article starts a name only before another capitalised word ("Le Gall", not
    "le Maire").
    """
    tokens = [(m.start(), m.group(0)) for m in re.finditer(r"\S+", words)][:5]
    end, n_names, i = 0, 0, 0
    while i < len(tokens):
        start, word = tokens[i]
        key = _key(word)
        if key in _PARTICLES:
            i += 2 if key == "de" and i + 1 < len(tokens) and _key(tokens[i + 1][1]) == "la" else 1
            continue
        elided = _APOSTROPHE.match(word)
        core = (elided.group(2) if elided else word).rstrip(".")
        sentence_end = word.endswith(".") and len(core) > 1  # "Durand." ends, "P." goes on
        core_key = _key(core)
        if not elided and core_key in _ARTICLES:
            following = tokens[i + 1][1] if i + 1 < len(tokens) else ""
            if _is_cap(word) and _is_cap(following) and _key(following) not in _STOP:
                end, n_names, i = start + len(word), n_names + 1, i + 1
                continue
            break
        initial = len(core) == 1 and core.isupper()  # "Madame Y", "famille X"
        if (core_key in _STOP and not initial) or not core[:1].isalpha():
            break
        capitalised = _is_cap(core)
        if not capitalised and (n_names or not lower_ok):
            break
        end, n_names, i = start + len(word) - sentence_end, n_names + 1, i + 1
        if not capitalised or sentence_end:
            break
    return end


def _names(
    found: list[Span],
    text: str,
    pattern: re.Pattern[str],
    *,
    lower_ok: bool,
    starts: list[int] | None = None,
) -> None:
    """Names after a civility (the span starts at the civility); ``starts``: where a
    match may start, in order (None: anywhere)."""
    groups = [g for g in ("glued", "capital") if g in pattern.groupindex]
    matches = pattern.finditer(text) if starts is None else finditer_from(pattern, text, starts)
    for m in matches:
        glued = next((g for g in groups if m.group(g)), None)
        if glued:
            if _key(m.group(glued)) not in _STOP:
                found.append((m.start(), m.end(glued), NAME_TOKEN))
            continue
        words = m.group("words")
        length = _name_end(words, lower_ok=lower_ok) if words else 0
        if length:
            found.append((m.start(), m.start("words") + length, NAME_TOKEN))


_STEM_OFFSET = 3
"""Characters of a trigger word before its piece in :data:`TRIGGER_STEMS` ("pré" of
"prénom", "dé" of "déclaré")."""


def _triggered(found: list[Span], text: str, starts: list[int] | None = None) -> None:
    """Names after "signalé par", "plainte de"… (the span is the name only); ``starts``:
    where a trigger word's piece stands, in order (None: search everywhere)."""
    matches = (
        _TRIGGER.finditer(text)
        if starts is None
        else finditer_from(_TRIGGER, text, starts, before=_STEM_OFFSET)
    )
    for m in matches:
        length = _name_end(m.group("words"), lower_ok=False)
        if length:
            found.append((m.start("words"), m.start("words") + length, NAME_TOKEN))


def name_spans(
    text: str,
    *,
    lower: str | None = None,
    skip: frozenset[str] = frozenset(),
    until: int | None = None,
) -> list[Span]:
    """Spans ``(start, end, NAME_TOKEN)`` of the names found in ``text`` (in no order,
    possibly overlapping): after a civility the span starts at the civility, after a
    trigger word it is the name only. ``lower``: ``text.lower()``, when the caller has
    it. ``skip``: the finders a column-wide quick test ruled out (``"civility"``,
    ``"weak"``, ``"trigger"``). ``until``: names starting there or later do not count.

    When the lower case has the length of the text, each pattern runs only from the
    places where a match may start (:func:`gupgeo.publication._windows.finditer_from`):
    a civility word, a capital M, D or P, a piece of a trigger word.

    Examples
    --------
    >>> text = "Mme.Dupontel et la famille Martin"
    >>> [text[s:e] for s, e, _ in sorted(name_spans(text))]
    ['Mme.Dupontel', 'Martin']
    """
    found: list[Span] = []
    low = text.lower() if lower is None else lower
    if len(low) != len(text):  # offsets of the lower case are not those of the text
        _all_names(found, text, low)
        return found
    limit = len(text) if until is None else until
    civilities = (
        []
        if "civility" in skip
        else sorted({p for c in _CIVILITIES for p in occurrences(low, c) if p < limit})
    )
    if civilities:
        _names(found, text, _STRONG, lower_ok=True, starts=civilities)
        _names(found, text, _GLUED, lower_ok=True, starts=civilities)
    if "weak" not in skip:
        weak = [p for word in ("M", "D", "P") for p in occurrences(text, word)]
        weak += [p for word in _WEAK_WORDS for p in occurrences(low, word)]
        weak = sorted({p for p in weak if p < limit})
        if weak:
            _names(found, text, _WEAK, lower_ok=False, starts=weak)
    if "trigger" in skip:
        return found
    stems = sorted(
        {p for stem in TRIGGER_STEMS for p in occurrences(low, stem) if p < limit + _STEM_OFFSET}
    )
    if stems:
        _triggered(found, text, stems)
    return found


def _all_names(found: list[Span], text: str, low: str) -> None:
    """:func:`name_spans` by scans of the whole text (each after a substring test)."""
    if any(civility in low for civility in _CIVILITIES):
        _names(found, text, _STRONG, lower_ok=True)
        _names(found, text, _GLUED, lower_ok=True)
    if any(c in text for c in "MDP") or any(word in low for word in _WEAK_WORDS):
        _names(found, text, _WEAK, lower_ok=False)
    if any(stem in low for stem in TRIGGER_STEMS):
        _triggered(found, text)
