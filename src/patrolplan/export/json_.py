"""``plan.json``: the plan document as readable UTF-8 JSON (Chinese kept as is)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from patrolplan.export._atomic import write_text_atomic

__all__ = ["write_json"]


def write_json(doc: Mapping[str, Any], path: str | Path) -> Path:
    """Write the ``plan.json`` document.

    Parameters
    ----------
    doc
        The ``plan.json`` dict (``Plan.to_json()``).
    path
        The file to write.

    Returns
    -------
    Path
        The file written.
    """
    text = json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n"
    return write_text_atomic(path, text)
