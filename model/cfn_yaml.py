"""YAML CloudFormation and SAM templates, with the short forms of intrinsic functions.

``load_yaml`` reads a template with PyYAML's safe loader plus constructors for
``!Ref``, ``!GetAtt``, ``!Sub`` and the other ``!Fn`` short forms, which become the
long forms (``{"Ref": ...}``, ``{"Fn::GetAtt": [...]}``) and stay symbolic.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["YamlError", "load_yaml", "SHORT_FORMS"]

#: Short-form tags and the key of their long form.
SHORT_FORMS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    **{
        f"!{name}": f"Fn::{name}"
        for name in (
            "GetAtt",
            "Sub",
            "Join",
            "Select",
            "Split",
            "If",
            "Equals",
            "And",
            "Or",
            "Not",
            "FindInMap",
            "ImportValue",
            "GetAZs",
            "Base64",
            "Cidr",
            "Transform",
            "Length",
            "ToJsonString",
        )
    },
}


class YamlError(ValueError):
    """A template that is not valid YAML; the message is one line with its place."""


class _TemplateLoader(yaml.SafeLoader):
    """The safe loader with CloudFormation's short-form tags.

    A key given twice in one mapping is refused: YAML keeps the last silently, so
    a setting written twice would be judged with whichever came last.
    """

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = key_node.value
                if key in seen and key != "<<":
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f'the key "{key}" appears twice in one mapping; YAML keeps '
                        "only the last, so remove one",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _construct(loader: yaml.SafeLoader, tag: str, node: yaml.Node) -> dict[str, Any]:
    key = SHORT_FORMS[tag]
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if key == "Fn::GetAtt" and isinstance(value, str):
            # "!GetAtt Stream.Arn" is the long form ["Stream", "Arn"].
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {key: value}


def _constructor_for(tag: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return _construct(loader, tag, node)

    return construct


for _tag in SHORT_FORMS:
    _TemplateLoader.add_constructor(_tag, _constructor_for(_tag))


def load_yaml(text: str) -> Any:
    """Parse a YAML template; intrinsic functions become their long JSON forms.

    >>> load_yaml("Arn: !GetAtt Stream.Arn\\nName: !Ref Fn")
    {'Arn': {'Fn::GetAtt': ['Stream', 'Arn']}, 'Name': {'Ref': 'Fn'}}
    """
    try:
        return yaml.load(text, Loader=_TemplateLoader)  # noqa: S506 - safe loader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" (line {mark.line + 1} column {mark.column + 1})" if mark else ""
        problem = error.problem or str(error)
        raise YamlError(f"not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise YamlError(
            "not valid YAML: nested too deeply (lists or mappings inside each other "
            "hundreds of levels deep); flatten it"
        ) from None
    except yaml.YAMLError as error:
        raise YamlError(f"not valid YAML: {' '.join(str(error).split())}") from None
