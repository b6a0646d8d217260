"""Matplotlib for every plot khabar draws (events, confusion matrices, learning curve, agreement
heatmap): the Agg backend and a font with Devanagari, registered once.

The font comes with pip (`fontpkg-noto-sans-devanagari`, Noto Sans Devanagari, OFL-1.1), so the
plots read the same on a machine without Debian's fonts-noto-core, where matplotlib's own
DejaVu Sans would draw every Devanagari letter as a box; a system Noto is the fallback when the
package is missing.
"""

from __future__ import annotations

from pathlib import Path

FAMILY = "Noto Sans Devanagari"
SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansDevanagari-Regular.ttf",
)
_registered: list[Path] = []


def devanagari_font() -> Path | None:
    """The Noto Sans Devanagari file to draw with: the pip package's, else the system's."""
    try:
        import fontpkg_noto_sans_devanagari as pkg

        found = sorted((pkg.ROOT / "files").glob("*.ttf"))
        if found:
            return found[0]
    except ImportError:
        pass
    return next((Path(p) for p in SYSTEM_FONTS if Path(p).is_file()), None)


def pyplot():
    """matplotlib.pyplot on the Agg backend with Devanagari text (Noto Sans Devanagari first,
    DejaVu Sans for what it lacks). Matplotlib shapes conjuncts and matras (3.10+)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    if not _registered:
        font = devanagari_font()
        if font is not None:
            # Added by path: matplotlib's font cache knows only the system's fonts.
            font_manager.fontManager.addfont(str(font))
            _registered.append(font)
    if _registered:
        plt.rcParams["font.family"] = [FAMILY, "DejaVu Sans"]
    return plt
