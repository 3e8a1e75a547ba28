"""The dashboard's tables: French titles, the layer each comes from, units and labels."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableInfo:
    """One dashboard table.

    ``unit`` is the unit of the columns not listed in :data:`COLUMN_LABELS` (the
    per-category tables); ``count`` names the column that must reconcile with the
    number of input rows of ``layer`` in the period (``None``: no such check);
    ``short`` (≤ 17 characters) names the series sheets.
    """

    name: str
    title: str
    layer: str
    unit: str = "nombre"
    count: str | None = None
    short: str = ""

    @property
    def series_title(self) -> str:
        """Sheet title of the series: ``"<short> par <freq>"`` fits in 31 characters."""
        return self.short or self.title


TABLES: tuple[TableInfo, ...] = (
    TableInfo("signalements", "Signalements", "signalements", count="nb_signalements"),
    TableInfo(
        "signalements_par_categorie",
        "Signalements par catégorie",
        "signalements",
        short="Sig. catégories",
    ),
    TableInfo(
        "signalements_par_statut", "Signalements par statut", "signalements", short="Sig. statuts"
    ),
    TableInfo("degradations", "Dégradations", "signalements"),
    TableInfo(
        "signalements_proximite",
        "Signalements agents et gardiens",
        "signalements",
        count="nb_signalements",
        short="Sig. agents",
    ),
    TableInfo("actions", "Actions GUP", "actions", count="nb_actions"),
    TableInfo("actions_par_theme", "Actions par thème", "actions", short="Actions thèmes"),
    TableInfo("tfpb", "TFPB", "tfpb", count="nb_actions"),
    TableInfo(
        "tfpb_montant_par_axe", "TFPB montants par axe", "tfpb", unit="€", short="TFPB € axes"
    ),
    TableInfo("tfpb_actions_par_axe", "TFPB actions par axe", "tfpb", short="TFPB actions axes"),
    TableInfo(
        "tfpb_montant_par_bailleur",
        "TFPB montants par bailleur",
        "tfpb",
        unit="€",
        short="TFPB € bailleurs",
    ),
    TableInfo(
        "arrets_agents",
        "Arrêts des agents",
        "arrets_agents",
        count="nb_arrets",
        short="Arrêts agents",
    ),
    TableInfo("reunions", "Réunions", "reunions", count="nb_reunions"),
    TableInfo("garanties", "Garanties", "garanties", count="nb_recours"),
    TableInfo("garanties_par_objet", "Garanties par objet", "garanties", short="Garanties objets"),
    TableInfo("constats", "Constats", "constats", count="nb_constats"),
    TableInfo("constats_par_theme", "Constats par thème", "constats", short="Constats thèmes"),
    TableInfo("diagnostics", "Diagnostics en marchant", "diagnostics", short="Diagnostics"),
)
TABLE_INFO: dict[str, TableInfo] = {t.name: t for t in TABLES}

# column → (French label, unit)
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "nb_signalements": ("Signalements", "nombre"),
    "par_1000_habitants": ("Pour 1 000 habitants", "pour 1 000 habitants"),
    "par_ha": ("Par hectare", "par hectare"),
    "nb_clos": ("Clos en fin de période", "nombre"),
    "part_clos_pct": ("Part close (%)", "%"),
    "nb_clotures_periode": ("Clôturés dans la période", "nombre"),
    "delai_median_jours": ("Délai médian de clôture (jours)", "jours"),
    "delai_p90_jours": ("Délai de clôture, 9e décile (jours)", "jours"),
    "stock_fin_periode": ("Stock ouvert en fin de période", "nombre"),
    "stock_4_semaines_ou_moins": ("Stock ≤ 4 semaines", "nombre"),
    "stock_4_a_8_semaines": ("Stock 4 à 8 semaines", "nombre"),
    "stock_plus_8_semaines": ("Stock > 8 semaines", "nombre"),
    "nb_periode_precedente": ("Période précédente", "nombre"),
    "evolution_nb": ("Évolution (nombre)", "nombre"),
    "evolution_pct": ("Évolution (%)", "%"),
    "nb_degradations": ("Dégradations", "nombre"),
    "nb_agents_gardiens": ("Signalés par agents et gardiens", "nombre"),
    "part_agents_gardiens_pct": ("Part agents et gardiens (%)", "%"),
    "nb_actions": ("Actions", "nombre"),
    "nb_actions_realisees": ("Actions réalisées", "nombre"),
    "cout_eur": ("Coût (€)", "€"),
    "montant_eur": ("Montant (€)", "€"),
    "logements": ("Logements", "logements"),
    "eur_par_logement_par_an": ("€ par logement et par an", "€ par logement et par an"),
    "nb_arrets": ("Arrêts commencés", "nombre"),
    "jours_arret": ("Jours d'arrêt dans la période", "jours"),
    "nb_reunions": ("Réunions", "nombre"),
    "nb_reunions_avec_agents": ("Réunions avec agents de proximité", "nombre"),
    "nb_presences_agents": ("Présences d'agents de proximité", "nombre"),
    "nb_recours": ("Recours à la garantie", "nombre"),
    "nb_objets": ("Objets concernés", "nombre"),
    "nb_constats": ("Constats", "nombre"),
    "nb_gravite_1": ("Gravité 1", "nombre"),
    "nb_gravite_2": ("Gravité 2", "nombre"),
    "nb_gravite_3": ("Gravité 3", "nombre"),
    "nb_gravite_inconnue": ("Gravité non renseignée", "nombre"),
    "nb_resolus": ("Résolus", "nombre"),
    "part_resolus_pct": ("Part résolue (%)", "%"),
    "nb_ouverts_fin_periode": ("Ouverts en fin de période", "nombre"),
    "anciennete_max_ouvert_jours": ("Ancienneté du plus ancien ouvert (jours)", "jours"),
    "nb_diagnostics": ("Diagnostics en marchant", "nombre"),
    "nb_diagnostics_avec_agents": ("Diagnostics avec agents de proximité", "nombre"),
    "nb_participants": ("Participants", "nombre"),
    "nb_participants_habitants": ("Habitants participants", "nombre"),
    "nb_constats_suivis": ("Constats suivis", "nombre"),
    "nb_constats_traites": ("Constats traités", "nombre"),
    "nb_traites_dans_les_delais": ("Constats traités dans les délais", "nombre"),
    "part_traites_dans_les_delais_pct": ("Part traitée dans les délais (%)", "%"),
    "delai_median_traitement_jours": ("Délai médian de traitement (jours)", "jours"),
    "nb_constats_en_retard": ("Constats en retard", "nombre"),
}


def column_label(column: str) -> str:
    """French header of a column (the column itself for category columns)."""
    return COLUMN_LABELS.get(column, (column, ""))[0]


def column_unit(table: str, column: str) -> str:
    """Unit of a column of a table (``nombre``, ``%``, ``jours``, ``€``…).

    Examples
    --------
    >>> column_unit("signalements", "delai_median_jours")
    'jours'
    >>> column_unit("tfpb_montant_par_axe", "sur-entretien")
    '€'
    """
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column][1]
    info = TABLE_INFO.get(table)
    return info.unit if info is not None else "nombre"


METHOD: tuple[str, ...] = (
    "Chaque tableau compte une ligne par quartier, puis « hors QPV » (lignes sans quartier "
    "ou d'un code inconnu) et « total » ; total = somme des quartiers + hors QPV.",
    "Un signalement appartient à la période de sa date de signalement. Taux pour 1 000 "
    "habitants et par hectare : population et surface du quartier (vides hors QPV et total).",
    "Clos en fin de période : date de clôture antérieure à la fin de la période, ou statut "
    "clos (résolu, clos autre) sans date. Les statuts de toutes les sources sont ramenés au "
    "cycle : nouveau, pris en compte, programmé, en cours, résolu, clos autre.",
    "Délais de clôture : signalements clôturés pendant la période, en jours entre signalement "
    "et clôture ; médiane et 9e décile (90 %) par interpolation linéaire.",
    "Stock : signalements déposés avant la fin de la période et non clos à cet instant, par "
    "ancienneté : ≤ 4 semaines (28 jours), 4 à 8 semaines (29 à 56 jours), plus de 8 semaines.",
    "Évolution : comparaison avec la période précédente de même nature (année, trimestre ou "
    "mois précédent ; pour un intervalle, la même durée juste avant) ; vide si elle est à zéro.",
    "Couverture : chaque couche datée couvre les jours de sa première à sa dernière date. Une "
    "période est couverte si les données commencent au plus tard 7 jours après son début et "
    "finissent au plus tôt 7 jours avant sa fin (un dixième de sa durée si elle est plus "
    "courte). Hors de la couverture, les chiffres sont n.c. (non calculables), jamais 0 ; "
    "l'évolution est n.c. si la période ou la précédente n'est pas entièrement couverte.",
    "Dégradations : signalements dont la sous-catégorie ou la catégorie correspond à un type "
    "de dégradation (mots-clés configurables).",
)
