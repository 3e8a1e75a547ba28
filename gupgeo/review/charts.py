"""The review's chart of signalements by quarter (perimeter and abords), and its text.

Secret counts (``public``) are drawn as no bar and count in no figure of the text.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from gupgeo.dashboard.chart_data import ChartData, number
from gupgeo.periods import period_name, span_words
from gupgeo.publication import SECRET_THRESHOLD, Profil
from gupgeo.rendering.html import chart_table, svg_data_uri
from gupgeo.review import data as rd
from gupgeo.review.secrecy import QUARTERS, secret_cells

if TYPE_CHECKING:
    from gupgeo.review.model import OperationReview

ZONE_COLORS = {rd.PERIMETRE: "#7b3294", rd.ABORDS: "#e69f00"}


Secret = frozenset[Hashable]
"""The counts of a report that read "secret" (:func:`gupgeo.review.secrecy.secret_cells`)."""


def chart_context(review: OperationReview, secret: Secret) -> dict[str, Any]:
    """The chart of signalements by quarter as the template shows it: image, text, table."""
    data = quarter_chart_data(review, secret)
    src = svg_data_uri(quarter_chart(review, secret))
    return {"src": src, "alt": data.summary, "table": chart_table(data)}


def _svg(fig: Figure) -> str:
    import io

    import matplotlib as mpl

    from gupgeo.dashboard.charts import STYLE

    buffer = io.StringIO()
    settings: Any = {**STYLE, "svg.hashsalt": "gupgeo-revue"}
    with mpl.rc_context(settings):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def quarter_chart(review: OperationReview, secret: Secret | None = None) -> str:
    """Signalements per quarter, périmètre and abords side by side (SVG text).

    In ``public``, secret counts (below the threshold, or hidden to protect them) are
    not drawn (a note says so): a bar's height is its count.
    """
    import matplotlib as mpl

    from gupgeo.dashboard.charts import FIG_SIZE_IN, STYLE

    table = review.signalements_by_quarter
    secret = secret_cells(review) if secret is None else secret
    style: Any = STYLE
    with mpl.rc_context(style):
        fig = Figure(figsize=FIG_SIZE_IN, dpi=100, layout="constrained")
        ax = fig.add_subplot()
        x = np.arange(len(table))
        width = 0.4
        public = Profil.parse(review.publication).secret
        for i, zone in enumerate(rd.ZONES):
            label = "périmètre" if zone == rd.PERIMETRE else f"abords ({review.buffer_m:g} m)"
            values = table[zone].to_numpy(dtype="float64")
            shown = np.array([(QUARTERS, q, zone) not in secret for q in table.index], dtype=bool)
            ax.bar(
                (x + (i - 0.5) * width)[shown],
                values[shown],
                width=width,
                color=ZONE_COLORS[zone],
                label=label,
            )
        if public:
            ax.set_xlim(-0.6, len(table) - 0.4)
            ax.set_ylim(0, max(float(ax.get_ylim()[1]), SECRET_THRESHOLD * 1.5))
            fig.text(
                0.01,
                0.01,
                f"Profil public : les effectifs inférieurs à {SECRET_THRESHOLD}, "
                "et ceux masqués pour les protéger, ne sont pas représentés (secret "
                "statistique).",
                fontsize=8,
                ha="left",
                va="bottom",
            )
        ax.set_xticks(
            x,
            [
                f"{q[5:]}\n{q[:4]}" if q.endswith("T1") or i == 0 else q[5:]
                for i, q in enumerate(table.index)
            ],
        )
        ax.set_ylabel("Signalements")
        ax.grid(False, axis="x")
        w = review.windows
        if w.delivery is not None:
            q = pd.Timestamp(w.delivery).to_period("Q")
            label = f"{q.year}-T{q.quarter}"
            if label in table.index:
                pos = list(table.index).index(label)
                ax.axvline(pos - 0.5, color="#333333", linestyle="--", linewidth=1)
                ax.text(pos - 0.45, ax.get_ylim()[1] * 0.95, "livraison", fontsize=8, va="top")
        fig.suptitle("Signalements par trimestre", x=0.01, ha="left", fontweight="bold")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return _svg(fig)


def _zone_label(review: OperationReview, zone: str) -> str:
    return "périmètre" if zone == rd.PERIMETRE else f"abords ({review.buffer_m:g} m)"


def quarter_chart_data(review: OperationReview, secret: Secret | None = None) -> ChartData:
    """The values of :func:`quarter_chart` and its text alternative (what, key figures).

    Secret counts read "secret" in the table and count in no figure of the text: with
    any of them, no total is given (a total would give them back by subtraction).
    """
    table = review.signalements_by_quarter
    secret = secret_cells(review) if secret is None else secret
    labels = [str(q) for q in table.index]
    zones = list(rd.ZONES)
    values = pd.DataFrame(
        {_zone_label(review, z): table[z].to_numpy(dtype="float64") for z in zones}, index=labels
    )
    hidden = pd.DataFrame(
        {_zone_label(review, z): [(QUARTERS, q, z) in secret for q in table.index] for z in zones},
        index=labels,
    )
    title = f"Signalements par trimestre, périmètre et abords — {review.name}"
    parts = []
    for column in values.columns:
        shown = values[column][~hidden[column]]
        words = [] if hidden.to_numpy().any() else [f"{number(float(shown.sum()))} au total"]
        if len(shown) and shown.max() > 0:
            top = int(np.argmax(shown.to_numpy()))
            words.append(f"au plus {number(shown.iloc[top])} en {period_name(shown.index[top])}")
        parts.append(f"{column} : " + (", ".join(words) or "aucun signalement"))
    if n_hidden := int(hidden.to_numpy().sum()):
        parts.append(
            f"{n_hidden} effectif(s) inférieur(s) à {SECRET_THRESHOLD} ou masqué(s) pour les "
            "protéger, ni représenté(s) ni compté(s) (secret statistique)"
        )
    if review.windows.delivery is not None:
        q = pd.Timestamp(review.windows.delivery).to_period("Q")
        parts.append(f"livraison en T{q.quarter} {q.year}")
    summary = f"{title}, {span_words(labels)} : " + " ; ".join(parts) + "."
    return ChartData(title, values.mask(hidden), "Trimestre", summary, hidden=hidden)
