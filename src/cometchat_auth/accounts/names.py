"""Display names: any script, but no character that changes how the rest of a name is shown.

Bidi overrides and isolates reorder what others read in chat (``Ann\\u202egnp.exe`` shows as
``Annexe.png``), zero-width characters make two names look alike, control characters and line
separators break a name onto lines of its own. Unicode's format (Cf), control (Cc), surrogate,
private-use, unassigned and separator (Zl, Zp) categories are refused.
"""

from __future__ import annotations

import unicodedata

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def check_display_name(name: str) -> str:
    """``name`` unchanged, or ValueError naming the first character that could spoof it."""
    for char in name:
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise ValueError(
                f"names may not contain format or control characters (U+{ord(char):04X})"
            )
    return name
