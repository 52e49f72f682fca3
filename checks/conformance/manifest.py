"""The manifest that pins the findings of each conformance run.

``checks/conformance/manifest.json`` records, per implementation, the version
tested and every divergence found (its signature, how many matrix scenarios show
it, and the minimal scenario).  A run compares what it found with the manifest, so
a new version that changes the behaviour fails CI until the manifest and
docs/conformance.md are brought up to date.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["MANIFEST_PATH", "load_manifest", "compare", "write_section"]

MANIFEST_PATH = Path(__file__).with_name("manifest.json")


def load_manifest(path: Path = MANIFEST_PATH) -> dict[str, Any]:
    """The manifest as a dict (empty when the file does not exist yet)."""
    if not path.exists():
        return {}
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def compare(pinned: dict[str, Any] | None, found: dict[str, Any]) -> list[str]:
    """Every way ``found`` differs from the ``pinned`` section, as sentences.

    Both are a manifest section: ``version``, ``scenarios`` and ``findings``, a
    list of ``{"signature", "count", "minimal"}``.

    >>> pinned = {"version": "1", "scenarios": 2,
    ...           "findings": [{"signature": "R5 | a | b", "count": 1, "minimal": "x"}]}
    >>> compare(pinned, {**pinned, "findings": []})
    ['no longer found: R5 | a | b (pinned in 1 scenario, minimal x)']
    """
    if not pinned:
        return [
            "the manifest has no section for this run; write it with --write-manifest"
        ]
    problems = []
    if pinned.get("version") != found.get("version"):
        problems.append(
            f"version {found.get('version')} tested, the manifest pins "
            f"{pinned.get('version')}"
        )
    if pinned.get("scenarios") != found.get("scenarios"):
        problems.append(
            f"{found.get('scenarios')} scenarios run, the manifest pins "
            f"{pinned.get('scenarios')}"
        )
    old = {item["signature"]: item for item in pinned.get("findings", [])}
    new = {item["signature"]: item for item in found.get("findings", [])}
    for signature in sorted(old.keys() - new.keys()):
        item = old[signature]
        problems.append(
            f"no longer found: {signature} (pinned in {_count(item['count'])}, "
            f"minimal {item['minimal']})"
        )
    for signature in sorted(new.keys() - old.keys()):
        item = new[signature]
        problems.append(
            f"new divergence: {signature} (in {_count(item['count'])}, "
            f"minimal {item['minimal']})"
        )
    for signature in sorted(old.keys() & new.keys()):
        for key in ("count", "minimal"):
            if old[signature].get(key) != new[signature].get(key):
                problems.append(
                    f"{signature}: {key} is {new[signature].get(key)}, the manifest "
                    f"pins {old[signature].get(key)}"
                )
    for key in sorted(set(pinned) - {"version", "scenarios", "findings", "package"}):
        before, after = pinned.get(key), found.get(key)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            changed = sorted(
                name
                for name in before.keys() | after.keys()
                if before.get(name) != after.get(name)
            )
            shown = ", ".join(changed[:5]) + (", ..." if len(changed) > 5 else "")
            problems.append(f"{key} changed for {len(changed)}: {shown}")
        else:
            problems.append(f"{key} is {after!r}, the manifest pins {before!r}")
    return problems


def _count(count: int) -> str:
    return f"{count} scenario" if count == 1 else f"{count} scenarios"


def write_section(
    name: str, section: dict[str, Any], path: Path = MANIFEST_PATH
) -> None:
    """Replace one implementation's section of the manifest."""
    manifest = load_manifest(path)
    manifest[name] = section
    path.write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
