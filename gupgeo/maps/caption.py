"""What a reader reads in a map's caption: title, subtitle, sources and the date.

Every map builder (:func:`~gupgeo.maps.base.base_map`,
:func:`~gupgeo.maps.compose.map_territory`, the atlas and review maps) takes one
:class:`Caption` instead of the four texts. The public builders also accept the four
as keywords (``map_territory(pub, title="Revue GUP")``), each replacing the field of
the caption it names.

Examples
--------
>>> caption_of(Caption("Territoire GUP"), {"subtitle": "Tours"})
Caption(title='Territoire GUP', subtitle='Tours', sources='', date=None)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, TypedDict

import pandas as pd

from gupgeo.maps._format import format_long_date_fr
from gupgeo.publication import PROFILE_LABELS, Profil


@dataclass(frozen=True)
class Caption:
    """The texts of a map's caption (French, shown as text, never HTML).

    Attributes
    ----------
    title, subtitle
        What the map shows.
    sources
        Where the data comes from ("Sources : …" on the map; nothing when empty).
    date
        The date written on the map ("Carte produite le …"); today when None.
    """

    title: str = ""
    subtitle: str = ""
    sources: str = ""
    date: Any = None


class CaptionWords(TypedDict, total=False):
    """The caption's fields given as keywords to a map builder."""

    title: str
    subtitle: str
    sources: str
    date: Any


def caption_of(caption: Caption | None, words: CaptionWords, *, title: str = "") -> Caption:
    """``caption`` (or one titled ``title``) with the fields named in ``words`` replaced."""
    unknown = sorted(set(words) - {f.name for f in dataclasses.fields(Caption)})
    if unknown:
        raise TypeError(f"mots-clés inconnus : {unknown} ; attendu title, subtitle, sources, date")
    return dataclasses.replace(caption or Caption(title), **words)


def caption_payload(caption: Caption, publication: Profil) -> dict[str, Any]:
    """The caption as the map's control reads it: texts, lines and the profile."""
    when = pd.Timestamp.now() if caption.date is None else pd.Timestamp(caption.date)
    lines = []
    if caption.sources:
        lines.append(f"Sources : {caption.sources}")
    lines.append(f"Carte produite le {format_long_date_fr(when)}")
    return {
        "title": caption.title,
        "subtitle": caption.subtitle,
        "lines": lines,
        "profile": f"Diffusion : {PROFILE_LABELS[publication]}",
        "profileKey": publication,
    }


__all__ = ["Caption", "CaptionWords", "caption_of", "caption_payload"]
