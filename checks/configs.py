"""Mapping configurations given on the command line, read through ``model.loading``.

``load_mappings_for_cli`` turns a file into labelled configurations; when the file
cannot say whether a mapping reads Kinesis or DynamoDB, both are checked.
"""

from __future__ import annotations

from model.config import MappingConfig
from model.errors import InvalidConfiguration
from model.loading import load_mappings

__all__ = ["load_mappings_for_cli"]


def load_mappings_for_cli(path: str) -> list[tuple[str, MappingConfig]]:
    """Each mapping of the file as ``(label, config)``; unknown sources twice."""
    labelled: list[tuple[str, MappingConfig]] = []
    for loaded in load_mappings(path):
        if loaded.source_known:
            labelled.append((loaded.name, loaded.config))
            continue
        for source in ("kinesis", "dynamodb"):
            try:
                config = loaded.config.with_changes(source=source)
            except InvalidConfiguration:
                continue  # a setting only the other source accepts (AT_TIMESTAMP)
            labelled.append((f"{loaded.name}[{source}]", config))
    return labelled
