"""Publication profiles: who an output is for, as a type.

A profile is a :class:`Profil` (a ``StrEnum``, so ``Profil.PUBLIC == "public"``); the
strings ``"interne"``, ``"partenaires"`` and ``"public"`` are accepted at the door
(:meth:`Profil.parse`) and nowhere further down. What a profile lets through is decided
once, by :func:`gupgeo.publication.publish`; products ask the
:class:`~gupgeo.publication.Publication` what it shows (``locates``, ``masks``,
``secret``), never the profile's name.
"""

from __future__ import annotations

from enum import StrEnum


class Profil(StrEnum):
    """Who a published output is for."""

    INTERNE = "interne"
    """The GUP team itself: everything, never to be sent outside."""
    PARTENAIRES = "partenaires"
    """Cities, bailleurs and the State: no personal data, no ESSP finding."""
    PUBLIC = "public"
    """Anyone: ``partenaires``, then counts only, small counts secret."""

    @classmethod
    def parse(cls, value: Profil | str) -> Profil:
        """The profile named ``value``; a French ``ValueError`` naming the valid ones.

        Examples
        --------
        >>> Profil.parse("public") is Profil.PUBLIC
        True
        >>> Profil.parse("Partenaires ")
        <Profil.PARTENAIRES: 'partenaires'>
        """
        if isinstance(value, Profil):
            return value
        key = str(value).strip().lower()
        try:
            return cls(key)
        except ValueError:
            raise ValueError(
                f"publication : {value!r} inconnu ; attendu l'un de {', '.join(PROFILES)}"
            ) from None

    @property
    def locates(self) -> bool:
        """Whether rows and points are shown one by one (not in ``public``)."""
        return self is not Profil.PUBLIC

    @property
    def masks(self) -> bool:
        """Whether texts are masked and columns restricted (not in ``interne``)."""
        return self is not Profil.INTERNE

    @property
    def secret(self) -> bool:
        """Whether counts shown are under statistical secrecy (``public``)."""
        return self is Profil.PUBLIC

    @property
    def label(self) -> str:
        """What the profile means, in French, as written on every output."""
        return PROFILE_LABELS[self]


PROFILES: tuple[str, ...] = tuple(p.value for p in Profil)
"""The profile names, in order of openness."""

PROFILE_LABELS: dict[str, str] = {
    Profil.INTERNE: "interne — toutes les données, ne pas diffuser",
    Profil.PARTENAIRES: "partenaires — colonnes autorisées seulement, textes masqués "
    "(coordonnées, noms précédés d'une civilité, identifiants), valeurs rares regroupées "
    "en « autre », sans constats ESSP (relire les textes conservés)",
    Profil.PUBLIC: "public — données agrégées, petits effectifs couverts par le secret",
}


def check_profile(profile: Profil | str) -> Profil:
    """The :class:`Profil` named ``profile`` (kept for callers of the string API)."""
    return Profil.parse(profile)
