"""Keep slow optional imports out of the toolkit's cold paths.

jsonschema (used by Altair, nbformat and papermill) imports optional format checkers when their
libraries are installed: "iri"/"iri-reference" through rfc3987_syntax, which builds a grammar at import
(1.5-3 s here), and "duration" through isoduration (which pulls in arrow). Neither Vega-Lite's schema nor
nbformat's uses these formats, and jsonschema skips a checker whose library is missing. Marking them
absent before jsonschema loads saves that time; once jsonschema is loaded it is too late and nothing is
changed.
"""

from __future__ import annotations

import sys
from typing import Final

SLOW_OPTIONAL_MODULES: Final = ("rfc3987_syntax", "isoduration")


def block_slow_optional_imports() -> None:
    """Make the slow optional imports fail fast (as if not installed) in this process."""
    if "jsonschema" in sys.modules:
        return
    for name in SLOW_OPTIONAL_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
