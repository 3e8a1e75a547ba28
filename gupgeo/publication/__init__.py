"""Publication profiles: what may leave the team, and in what form.

Every shared product (dashboard, HTML map, atlas, review, veille, QGIS project) takes a
:class:`Publication`, made once by :func:`publish` from an attributed territory for a
:class:`Profil`, so its tables, titles, labels, legends, file names and payloads all
come from published data. The modules: :mod:`~gupgeo.publication.profile` (the
profiles), :mod:`~gupgeo.publication.columns` (allow-lists and masking),
:mod:`~gupgeo.publication.vocabulary` (rare values), :mod:`~gupgeo.publication.withholding`
(ESSP), :mod:`~gupgeo.publication.secret` (statistical secrecy, grids) and
:mod:`~gupgeo.publication.model` (the Publication). Three profiles:

``interne``
    Everything, for the GUP team itself. Never to be sent outside.
``partenaires``
    For the cities, bailleurs and the State.

    - **Columns.** An allow-list per layer (:data:`ALLOWED_COLUMNS`, plus the
      attribution's columns): every other column is dropped — unknown extra columns,
      numbers and dates included — and named (masked) in the notes. Free text
      (``description``, ``observations``…) leaves only if the caller lists it in
      ``keep_columns`` (``keep_description=True`` keeps ``description``). Personal
      columns (names, phones, e-mails, authors, declarants, complainants… see
      :func:`is_personal_column`; the ``motif`` of agents' stoppages) never leave.
    - **Vocabulary.** A label (``categorie``, ``source``, ``statut``, ``theme``,
      ``porteur``…) leaves only if the schema knows it or it occurs at least
      ``min_count`` (5) times, else « autre » (:mod:`gupgeo.publication.vocabulary`).
    - **Text.** Every text value kept — labels included — is masked
      (:func:`scrub_text`): e-mails (also "x (at) y . fr", "arobase"), phone numbers
      (French in any spacing, ``+33``, ``0033``, ``(0)``, other ``+CC``), names after a
      civility in any case ("mme durand", "M.Nom", "Dr", "Me Dupont"…) or after
      "signalé par", "plainte de", "contact :"…, licence plates (``AB-123-CD``,
      ``123 ABC 37``), IBAN, NIR (social security numbers), local paths (``/home/…``,
      ``C:\\…``) and mentions of an ESSP. Texts longer than :data:`MAX_TEXT_CHARS` are cut
      with "…". Dates and amounts are left as written.
    - **ESSP.** Findings of an étude de sûreté et de sécurité publique are legally not
      communicable: a ``constats`` row is withheld when its démarche, any identifier or
      any text cites one, or when its démarche is unknown or vague (:func:`essp_mask`,
      the one rule); an ``actions`` row is withheld when a text cites one
      (:func:`cites_essp`), and a row of any layer is withheld when it cites the
      identifier of a withheld finding; a layer of constats without ``demarche`` is
      withheld whole. The vocabulary ("ESSP", "ESSPs", "EDSP", "étude de sûreté…",
      "audit de sûreté", "diagnostic (de) sûreté", "sûreté et sécurité publique"…,
      blind to case and accents) is documented in :mod:`gupgeo.publication._essp`. The publication
      notes count what was withheld.
    - **Sources.** Provenance is reduced to file names (:func:`source_label`): no local
      folder appears in a shared output.

    A name written without a civility nor a trigger word ("Jean Dupont") cannot be
    detected reliably and is **not** masked: that is why free-text columns are dropped
    unless asked for, and why kept text must still be read before it is shared.
``public``
    ``partenaires`` without the layers about people (arrêts des agents); products show
    counts, never points: maps aggregate the event layers (``signalements``,
    ``constats``, ``actions``) on a Lambert-93 grid (200 m by default) or per quartier
    (:func:`aggregate_events`), and every count table a product shows is under
    statistical secrecy (the dashboard's :mod:`gupgeo.dashboard.secrecy`, the atlas's and
    the review's own modules, :meth:`Publication.protect_counts` for a new table): a
    count from 1 to ``secret_threshold − 1`` (11 by default) reads « secret », with the
    complementary suppression of :mod:`gupgeo.secrecy` so no secret is recomputed
    from a total.

Masking is linear in the length of the text (no unbounded backtracking, see
:mod:`gupgeo.publication._masking`). Pure pandas/geopandas.
"""

from __future__ import annotations

from gupgeo.publication._masking import source_label
from gupgeo.publication.columns import (
    ALLOWED_COLUMNS,
    MAX_TEXT_CHARS,
    SHOWN_COLUMNS,
    KeepColumns,
    is_personal_column,
    remove_personal_data,
    scrub_text,
)
from gupgeo.publication.model import (
    PEOPLE_LAYERS,
    Publication,
    PublicationPolicy,
    Source,
    aggregate_events,
    as_publication,
    publish,
)
from gupgeo.publication.profile import PROFILE_LABELS, PROFILES, Profil, check_profile
from gupgeo.publication.secret import (
    EVENT_LAYERS,
    GRID_CELL_M,
    SECRET_LABEL,
    SECRET_THRESHOLD,
    aggregate_to_grid,
    aggregate_to_zones,
    apply_secret,
    protect_table,
)
from gupgeo.publication.withholding import cites_essp, essp_mask, is_essp, withhold_essp

__all__ = [
    "ALLOWED_COLUMNS",
    "EVENT_LAYERS",
    "GRID_CELL_M",
    "MAX_TEXT_CHARS",
    "PEOPLE_LAYERS",
    "PROFILES",
    "PROFILE_LABELS",
    "SECRET_LABEL",
    "SECRET_THRESHOLD",
    "SHOWN_COLUMNS",
    "KeepColumns",
    "Profil",
    "Publication",
    "PublicationPolicy",
    "Source",
    "aggregate_events",
    "aggregate_to_grid",
    "aggregate_to_zones",
    "apply_secret",
    "as_publication",
    "check_profile",
    "cites_essp",
    "essp_mask",
    "is_essp",
    "is_personal_column",
    "protect_table",
    "publish",
    "remove_personal_data",
    "scrub_text",
    "source_label",
    "withhold_essp",
]
