"""Advance widths of DejaVu Sans (the charts' font), to lay out SVG text without drawing it.

Widths are in thousandths of an em, read from matplotlib's DejaVuSans.ttf and
DejaVuSans-Bold.ttf for the characters French charts use; a character outside the table
counts as a wide one (:data:`WIDE_EM`), so that a layout errs on the roomy side.
"""

from __future__ import annotations

CHARS = (
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFG"
    "HIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmno"
    "pqrstuvwxyz{|}~àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊ"
    "ËÎÏÔÖÙÛÜŒÆ«»–—…€≤≥\xa0\u202f’°·×"
)
_REGULAR_TEXT = """
318 401 460 838 636 950 780 275 390 390 500 838 318 361 318 337 636 636 636 636 636 636
636 636 636 636 337 337 838 838 838 531 1000 684 686 698 770 632 575 775 752 295 295 656
557 863 748 787 603 787 695 635 611 732 684 989 685 611 685 390 337 390 838 500 500 613
635 550 635 615 352 635 634 278 278 579 278 974 634 612 635 635 411 521 392 634 592 818
592 592 525 636 337 636 838 613 613 613 550 615 615 615 615 278 278 612 612 634 634 634
592 1023 982 684 684 684 698 632 632 632 632 295 295 787 787 732 732 732 1070 974 612
612 500 1000 1000 636 838 838 318 200 318 500 318 838
"""
REGULAR = tuple(map(int, _REGULAR_TEXT.split()))
_BOLD_TEXT = """
348 456 521 838 696 1002 872 306 457 457 523 838 380 415 380 365 696 696 696 696 696 696
696 696 696 696 400 400 838 838 838 580 1000 774 762 734 830 683 683 821 837 372 372 775
637 995 837 850 733 850 770 720 682 812 774 1103 771 724 725 457 365 457 838 500 500 675
716 593 716 678 435 716 712 343 343 665 343 1042 712 687 716 716 493 595 478 712 652 924
645 652 582 712 365 712 838 675 675 675 593 678 678 678 678 343 343 687 687 712 712 712
652 1094 1048 774 774 774 734 683 683 683 683 372 372 850 850 812 812 812 1167 1085 646
646 500 1000 1000 696 838 838 348 200 380 500 380 838
"""
BOLD = tuple(map(int, _BOLD_TEXT.split()))
WIDE_EM = 1.0
_REGULAR = dict(zip(CHARS, REGULAR, strict=True))
_BOLD = dict(zip(CHARS, BOLD, strict=True))


def text_width(text: str, size_pt: float, *, bold: bool = False) -> float:
    """Width in points of ``text`` in DejaVu Sans at ``size_pt``.

    Examples
    --------
    >>> round(text_width("janv.", 10))
    24
    """
    table = _BOLD if bold else _REGULAR
    return sum(table.get(ch, WIDE_EM * 1000) for ch in text) * size_pt / 1000
