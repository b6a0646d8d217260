"""Every plot draws Devanagari with the Noto Sans Devanagari that pip installs, so a machine
without Debian's Noto fonts gets letters, not boxes, and no missing-glyph warning."""

from __future__ import annotations

import warnings

from khabar.plots import FAMILY, devanagari_font, pyplot


def test_the_font_is_the_pip_packages_not_the_systems():
    font = devanagari_font()
    # the package's file, whatever the system has: a machine without fonts-noto-core draws the same
    assert font is not None and "fontpkg_noto_sans_devanagari" in str(font)


def test_devanagari_renders_without_a_missing_glyph_warning(tmp_path):
    plt = pyplot()
    assert plt.rcParams["font.family"][0] == FAMILY
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots(figsize=(4, 1))
        ax.set_title("एस जयशंकर ने मॉस्को में सर्गेई लावरोव से मुलाकात की (2 sources)")
        ax.text(0.1, 0.2, "व्लादिमीर पुतिन @ क्रेमलिन, राष्ट्राध्यक्ष परिषद")
        fig.savefig(tmp_path / "hindi.png")
        plt.close(fig)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []
    assert (tmp_path / "hindi.png").stat().st_size > 1000


def test_without_the_font_dejavu_would_warn(tmp_path):
    """The check above can fail: DejaVu Sans alone warns on the same text."""
    plt = pyplot()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with plt.rc_context({"font.family": ["DejaVu Sans"]}):
            fig, ax = plt.subplots(figsize=(4, 1))
            ax.set_title("मॉस्को")
            fig.savefig(tmp_path / "boxes.png")
            plt.close(fig)
    assert any("missing from font" in str(w.message) for w in caught)
