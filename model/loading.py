"""Load event source mapping settings from the files users already have.

Read: the JSON that ``aws lambda get-event-source-mapping`` prints, and CloudFormation
and SAM templates in JSON or YAML (``AWS::Lambda::EventSourceMapping`` resources, their
``Properties``, and the Kinesis and DynamoDB events of ``AWS::Serverless::Function``),
with intrinsic functions (``!Ref``, ``!GetAtt``, ``!Sub``...) left symbolic.  Every
refusal is one line naming the file, the field and the values Lambda accepts.
"""

from __future__ import annotations

import datetime
import difflib
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.config import REPORT_BATCH_ITEM_FAILURES, MappingConfig
from model.errors import InvalidConfiguration, InvalidInput

__all__ = [
    "LoadedMapping",
    "load_mapping",
    "load_mappings",
    "mapping_from_dict",
    "mappings_from_dict",
    "parse_json",
]

_RESOURCE_TYPE = "AWS::Lambda::EventSourceMapping"

#: Integer settings: API name -> (attribute name, the values Lambda accepts).
_INTEGERS: dict[str, tuple[str, str]] = {
    "BatchSize": ("batch_size", "1..10000"),
    "MaximumRetryAttempts": ("maximum_retry_attempts", "-1 or 0..10000"),
    "MaximumRecordAgeInSeconds": ("maximum_record_age_in_seconds", "-1 or 60..604800"),
    "ParallelizationFactor": ("parallelization_factor", "1..10"),
    "TumblingWindowInSeconds": ("tumbling_window_in_seconds", "0..900"),
    "MaximumBatchingWindowInSeconds": ("maximum_batching_window_in_seconds", "0..300"),
}

_DESTINATION = "DestinationConfig.OnFailure.Destination"
_STARTING_POSITIONS = "TRIM_HORIZON, LATEST, AT_TIMESTAMP"

#: Fields whose presence marks an object as an event source mapping.
_MAPPING_KEYS = frozenset(
    [
        *_INTEGERS,
        "BisectBatchOnFunctionError",
        "FunctionResponseTypes",
        "DestinationConfig",
        "StartingPosition",
        "FilterCriteria",
        "EventSourceArn",
        "EventSourceMappingArn",
        "FunctionArn",
        "FunctionName",
        "UUID",
    ]
)

#: The fields of ``EventSourceMappingConfiguration``, what ``get-event-source-mapping``
#: and ``list-event-source-mappings`` print (Lambda API reference), and the
#: ``ResponseMetadata`` boto3 adds to the same response.
_API_FIELDS = frozenset(
    [
        "ResponseMetadata",
        "AmazonManagedKafkaEventSourceConfig",
        "BatchSize",
        "BisectBatchOnFunctionError",
        "DestinationConfig",
        "DocumentDBEventSourceConfig",
        "EventSourceArn",
        "EventSourceMappingArn",
        "FilterCriteria",
        "FilterCriteriaError",
        "FunctionArn",
        "FunctionResponseTypes",
        "KMSKeyArn",
        "LastModified",
        "LastProcessingResult",
        "LoggingConfig",
        "MaximumBatchingWindowInSeconds",
        "MaximumRecordAgeInSeconds",
        "MaximumRetryAttempts",
        "MetricsConfig",
        "ParallelizationFactor",
        "ProvisionedPollerConfig",
        "Queues",
        "ScalingConfig",
        "SelfManagedEventSource",
        "SelfManagedKafkaEventSourceConfig",
        "SourceAccessConfigurations",
        "StartingPosition",
        "StartingPositionTimestamp",
        "State",
        "StateTransitionReason",
        "Topics",
        "TumblingWindowInSeconds",
        "UUID",
    ]
)

#: The properties of CloudFormation's ``AWS::Lambda::EventSourceMapping``.
_CFN_FIELDS = frozenset(
    [
        "AmazonManagedKafkaEventSourceConfig",
        "BatchSize",
        "BisectBatchOnFunctionError",
        "DestinationConfig",
        "DocumentDBEventSourceConfig",
        "Enabled",
        "EventSourceArn",
        "FilterCriteria",
        "FunctionName",
        "FunctionResponseTypes",
        "KmsKeyArn",
        "LoggingConfig",
        "MaximumBatchingWindowInSeconds",
        "MaximumRecordAgeInSeconds",
        "MaximumRetryAttempts",
        "MetricsConfig",
        "ParallelizationFactor",
        "ProvisionedPollerConfig",
        "Queues",
        "ScalingConfig",
        "SelfManagedEventSource",
        "SelfManagedKafkaEventSourceConfig",
        "SourceAccessConfigurations",
        "StartingPosition",
        "StartingPositionTimestamp",
        "Tags",
        "Topics",
        "TumblingWindowInSeconds",
    ]
)

#: The properties of a SAM function's ``Kinesis`` and ``DynamoDB`` events.
_SAM_FIELDS = frozenset(
    [
        "BatchSize",
        "BisectBatchOnFunctionError",
        "DestinationConfig",
        "Enabled",
        "FilterCriteria",
        "FunctionResponseTypes",
        "KmsKeyArn",
        "MaximumBatchingWindowInSeconds",
        "MaximumRecordAgeInSeconds",
        "MaximumRetryAttempts",
        "MetricsConfig",
        "ParallelizationFactor",
        "ProvisionedPollerConfig",
        "StartingPosition",
        "StartingPositionTimestamp",
        "Stream",
        "TumblingWindowInSeconds",
    ]
)

#: The fields of ``DestinationConfig`` and of its ``OnFailure``, per format.
_DESTINATION_FIELDS = {
    "api": (frozenset({"OnFailure", "OnSuccess"}), frozenset({"Destination"})),
    "cfn": (frozenset({"OnFailure"}), frozenset({"Destination"})),
    "sam": (frozenset({"OnFailure"}), frozenset({"Destination", "Type"})),
}

#: CloudFormation resource types whose ARN names a stream of each kind.
_SOURCE_TYPES = {
    "AWS::Kinesis::Stream": "kinesis",
    "AWS::Kinesis::StreamConsumer": "kinesis",
    "AWS::DynamoDB::Table": "dynamodb",
    "AWS::DynamoDB::GlobalTable": "dynamodb",
}

_YAML_SUFFIXES = (".yaml", ".yml", ".template")

_SAM_FUNCTION = "AWS::Serverless::Function"

#: SAM event types that are stream event source mappings, and their source kind.
_SAM_EVENT_SOURCES = {"Kinesis": "kinesis", "DynamoDB": "dynamodb"}

_ARN = re.compile(r"^arn:[^:]+:(?P<service>[a-z0-9-]+):")
_DYNAMODB_STREAM = re.compile(r":table/[^/]+/stream/.+")


@dataclass(frozen=True)
class LoadedMapping:
    """One mapping read from a file, with what the file left unknown.

    Attributes
    ----------
    config:
        The settings, validated.
    source_known:
        Whether ``EventSourceArn`` said Kinesis or DynamoDB; when it is absent or
        symbolic ``config.source`` is Kinesis as a placeholder and this is False
        (``python -m checks.verify --config`` then checks both kinds).
    name:
        The mapping's UUID, its logical ID in a template, or the file's stem.
    notes:
        One sentence per setting that could not be read as written.

    Examples
    --------
    >>> loaded = mappings_from_dict({"BatchSize": 10}, "x.json")[0]
    >>> loaded.config.batch_size, loaded.source_known, loaded.name
    (10, False, 'x')
    """

    config: MappingConfig
    source_known: bool
    name: str
    notes: tuple[str, ...] = ()


def load_mapping(path: str | os.PathLike[str]) -> MappingConfig:
    """The settings of the one event source mapping a JSON file describes.

    Parameters
    ----------
    path:
        ``get-event-source-mapping`` output, CloudFormation ``Properties``, an
        ``AWS::Lambda::EventSourceMapping`` resource, or a template with one.

    Raises
    ------
    InvalidConfiguration
        If the file cannot be read, is not JSON, holds no mapping or several, or a
        setting is outside what Lambda accepts.

    Examples
    --------
    >>> import json, tempfile
    >>> with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
    ...     json.dump({"BatchSize": 10, "MaximumRetryAttempts": 2}, file)
    >>> load_mapping(file.name).maximum_retry_attempts
    2
    """
    return _single(load_mappings(path), str(path)).config


def load_mappings(path: str | os.PathLike[str]) -> list[LoadedMapping]:
    """Every event source mapping a file describes, with notes.

    Besides the shapes ``load_mapping`` reads, this reads whole CloudFormation and
    SAM templates (JSON or YAML, several mappings each) and ``aws lambda
    list-event-source-mappings`` output.

    Examples
    --------
    >>> import json, tempfile
    >>> with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
    ...     json.dump({"UUID": "14e0db71", "BatchSize": 10}, file)
    >>> [(m.name, m.source_known) for m in load_mappings(file.name)]
    [('14e0db71', False)]
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidConfiguration("no such file", source=name) from None
    except IsADirectoryError:
        raise InvalidConfiguration("is a directory; give a file", source=name) from None
    except UnicodeDecodeError:
        raise InvalidConfiguration("is not UTF-8 text", source=name) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise InvalidConfiguration(f"cannot be read: {reason}", source=name) from None
    return mappings_from_dict(_parse(text, name), name)


def _parse(text: str, name: str) -> Any:
    """JSON, or YAML for ``.yaml``/``.yml``/``.template`` files and non-JSON text."""
    suffix = Path(name).suffix.lower()
    if suffix not in _YAML_SUFFIXES:
        try:
            return parse_json(text)
        except InvalidInput as error:
            raise error.located(name) from None
        except json.JSONDecodeError as error:
            if suffix == ".json" or text.lstrip().startswith(("{", "[")):
                raise InvalidConfiguration(
                    f"not valid JSON (line {error.lineno} column {error.colno}): "
                    f"{error.msg}",
                    source=name,
                ) from None
    from model.cfn_yaml import YamlError, load_yaml

    try:
        return load_yaml(text)
    except YamlError as error:
        raise InvalidConfiguration(str(error), source=name) from None


def mapping_from_dict(data: Any, source: str = "<dict>") -> MappingConfig:
    """The settings of the one event source mapping ``data`` describes.

    Parameters
    ----------
    data:
        The parsed JSON, in any shape ``load_mapping`` reads.
    source:
        Where it came from, named in every refusal.

    Examples
    --------
    >>> mapping_from_dict({"BatchSize": 10, "MaximumRetryAttempts": 2}).describe()
    'BatchSize=10 retries=2 age=inf no-dest'
    """
    return _single(mappings_from_dict(data, source), source).config


def mappings_from_dict(data: Any, source: str = "<dict>") -> list[LoadedMapping]:
    """Every event source mapping ``data`` describes, with notes.

    Examples
    --------
    >>> arn = "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/2025-01-01"
    >>> mappings_from_dict({"EventSourceArn": arn}, "m.json")[0].config.source
    'dynamodb'
    """
    try:
        return _read_document(data, source)
    except InvalidInput as error:
        raise error.located(source) from None


# --- shapes of documents ---------------------------------------------------------


def _single(mappings: list[LoadedMapping], source: str) -> LoadedMapping:
    if len(mappings) != 1:
        names = ", ".join(mapping.name for mapping in mappings)
        raise InvalidConfiguration(
            f"holds {len(mappings)} event source mappings ({names}); "
            "give a file with exactly one",
            source=source,
        )
    return mappings[0]


def _read_document(data: Any, source: str) -> list[LoadedMapping]:
    if not isinstance(data, dict):
        raise InvalidConfiguration(
            "the top level must be a JSON object (get-event-source-mapping output "
            f"or CloudFormation Properties), got {_kind(data)}"
        )
    stem = Path(source).stem or source
    if "Resources" in data:
        return _read_template(data)
    if "EventSourceMappings" in data:
        return _read_list(data["EventSourceMappings"], stem)
    if "Type" in data:
        properties = _resource_properties(data, "")
        return [
            _read_mapping(
                properties,
                prefix="Properties.",
                name=stem,
                resources={},
                lenient=True,
                fields="cfn",
            )
        ]
    name = data["UUID"] if isinstance(data.get("UUID"), str) else stem
    return [_read_mapping(data, prefix="", name=name, resources={}, fields="any")]


def _read_template(data: dict[str, Any]) -> list[LoadedMapping]:
    resources = data["Resources"]
    if not isinstance(resources, dict):
        raise InvalidConfiguration(
            f"must be an object of resources, got {_kind(resources)}",
            field="Resources",
        )
    mappings: list[LoadedMapping] = []
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict):
            continue
        if resource.get("Type") == _RESOURCE_TYPE:
            mappings.append(
                _read_mapping(
                    _resource_properties(resource, f"Resources.{logical_id}."),
                    prefix=f"Resources.{logical_id}.Properties.",
                    name=logical_id,
                    resources=resources,
                    lenient=True,
                    fields="cfn",
                )
            )
        elif resource.get("Type") == _SAM_FUNCTION:
            mappings += _read_sam_function(logical_id, resource, resources)
    if not mappings:
        raise InvalidConfiguration(
            f"the template has no resource of Type {_RESOURCE_TYPE} and no "
            f"{_SAM_FUNCTION} with an event of Type Kinesis or DynamoDB",
            field="Resources",
        )
    return mappings


def _read_sam_function(
    logical_id: str, resource: dict[str, Any], resources: dict[str, Any]
) -> list[LoadedMapping]:
    """The Kinesis and DynamoDB events of a SAM function, each a mapping."""
    properties = resource.get("Properties")
    events = properties.get("Events") if isinstance(properties, dict) else None
    if not isinstance(events, dict):
        return []
    mappings = []
    for event_name, event in events.items():
        if not isinstance(event, dict):
            continue
        kind = _SAM_EVENT_SOURCES.get(str(event.get("Type")))
        if kind is None:
            continue
        prefix = f"Resources.{logical_id}.Properties.Events.{event_name}.Properties."
        settings = event.get("Properties")
        if not isinstance(settings, dict):
            raise InvalidConfiguration(
                "must be an object of the event's settings (Stream, BatchSize, ...), "
                f"got {_kind(settings)}",
                field=prefix.rstrip("."),
            )
        _check_fields(settings, _SAM_FIELDS, prefix, _FORMAT_NAMES["sam"])
        # SAM names the stream ARN "Stream"; the event's Type already says its kind.
        renamed = {
            ("EventSourceArn" if k == "Stream" else k): v for k, v in settings.items()
        }
        loaded = _read_mapping(
            renamed,
            prefix=prefix,
            name=f"{logical_id}.{event_name}",
            resources=resources,
            lenient=True,
            known_source=kind,
            fields="sam",
        )
        mappings.append(loaded)
    return mappings


def _read_list(items: Any, stem: str) -> list[LoadedMapping]:
    if not isinstance(items, list):
        raise InvalidConfiguration(
            f"must be a list of mappings, got {_kind(items)}",
            field="EventSourceMappings",
        )
    mappings = []
    for index, item in enumerate(items):
        prefix = f"EventSourceMappings[{index}]."
        if not isinstance(item, dict):
            raise InvalidConfiguration(
                f"must be an object, got {_kind(item)}", field=prefix.rstrip(".")
            )
        name = item["UUID"] if isinstance(item.get("UUID"), str) else f"{stem}[{index}]"
        mappings.append(
            _read_mapping(item, prefix=prefix, name=name, resources={}, fields="api")
        )
    return mappings


def _resource_properties(resource: dict[str, Any], prefix: str) -> dict[str, Any]:
    if resource.get("Type") != _RESOURCE_TYPE:
        raise InvalidConfiguration(
            f"must be {_RESOURCE_TYPE}, got {resource.get('Type')!r}",
            field=f"{prefix}Type",
        )
    properties = resource.get("Properties")
    if not isinstance(properties, dict):
        raise InvalidConfiguration(
            f"must be an object of the mapping's settings, got {_kind(properties)}",
            field=f"{prefix}Properties",
        )
    return properties


# --- one mapping -----------------------------------------------------------------


def _read_mapping(
    data: dict[str, Any],
    *,
    prefix: str,
    name: str,
    resources: dict[str, Any],
    lenient: bool = False,
    known_source: str | None = None,
    fields: str = "any",
) -> LoadedMapping:
    """One mapping's settings.

    ``lenient`` accepts what CloudFormation accepts in templates: numbers and
    booleans written as strings ("10", "true").  ``known_source`` is the source
    kind a SAM event's Type gives.  ``fields`` names the format whose field names
    are accepted ("api", "cfn", "sam" or "any" for a bare object that may be either
    of the first two); SAM's are checked before "Stream" is renamed.
    """
    allowed = _FIELDS.get(fields, frozenset())
    misspelt = any(_close_field(str(key), allowed) for key in data)
    if not _MAPPING_KEYS.intersection(data) and not misspelt:
        raise InvalidConfiguration(
            "does not look like an event source mapping: expected fields such as "
            "EventSourceArn, BatchSize or MaximumRetryAttempts",
            field=prefix.rstrip(".") or None,
        )
    if fields != "sam":
        _check_fields(data, allowed, prefix, _FORMAT_NAMES[fields])
    notes: list[str] = []
    settings: dict[str, Any] = {}

    def value_of(key: str) -> Any:
        """The field's value, or None when absent or symbolic (noted)."""
        value = data.get(key)
        if _is_no_value(value):
            return None
        if _is_intrinsic(value):
            notes.append(
                f"{prefix}{key} is {_show(value)}, which cannot be resolved; "
                "the API default is used"
            )
            return None
        return value

    for key, (attribute, accepted) in _INTEGERS.items():
        value = value_of(key)
        if value is not None:
            settings[attribute] = _integer(value, prefix + key, accepted, lenient)

    bisect = value_of("BisectBatchOnFunctionError")
    if bisect is not None:
        settings["bisect_batch_on_function_error"] = _boolean(
            bisect, prefix + "BisectBatchOnFunctionError", lenient
        )

    types = value_of("FunctionResponseTypes")
    if types is not None:
        settings["function_response_types"] = _response_types(
            types, prefix + "FunctionResponseTypes", notes
        )

    position = value_of("StartingPosition")
    if position is not None:
        if not isinstance(position, str):
            raise InvalidConfiguration(
                f"must be one of {_STARTING_POSITIONS}, got {_show(position)}",
                field=prefix + "StartingPosition",
            )
        settings["starting_position"] = position

    filters = value_of("FilterCriteria")
    if filters is not None:
        settings["has_filter_criteria"] = _has_filters(
            filters, prefix + "FilterCriteria"
        )

    destination = _destination(data.get("DestinationConfig"), prefix, notes, fields)
    if destination is not None:
        settings["on_failure_destination"] = destination

    if known_source is not None:
        # SAM: the event's Type names the kind; an ARN that says otherwise is wrong.
        arn = data.get("EventSourceArn")
        if isinstance(arn, str) and _classify_arn(arn) not in (None, known_source):
            raise InvalidConfiguration(
                f"names a {_classify_arn(arn)} stream but the event's Type is "
                f"{'Kinesis' if known_source == 'kinesis' else 'DynamoDB'}",
                field=prefix + "Stream",
            )
        source, source_known = known_source, True
    else:
        source, source_known = _source(
            data.get("EventSourceArn"), prefix, resources, notes
        )
    settings["source"] = source

    try:
        config = MappingConfig(**settings)
    except InvalidConfiguration as error:
        field = f"{prefix}{error.field}" if error.field else None
        raise InvalidConfiguration(error.message, field=field) from None
    return LoadedMapping(
        config=config, source_known=source_known, name=name, notes=tuple(notes)
    )


def _integer(value: Any, field: str, allowed: str, lenient: bool = False) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        if lenient:
            return int(value)
        raise InvalidConfiguration(
            f"must be an integer {allowed}, got the string {json.dumps(value)}; "
            f"write {int(value)} without quotes",
            field=field,
        )
    if isinstance(value, float) and value.is_integer():
        raise InvalidConfiguration(
            f"must be an integer {allowed}, got {value!r}; write {int(value)}",
            field=field,
        )
    raise InvalidConfiguration(
        f"must be an integer {allowed}, got {_show(value)}", field=field
    )


def _boolean(value: Any, field: str, lenient: bool = False) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        word = value.strip().lower()
        if lenient:
            return word == "true"
        raise InvalidConfiguration(
            f"must be true or false, got the string {json.dumps(value)}; "
            f"write {word} without quotes",
            field=field,
        )
    raise InvalidConfiguration(
        f"must be true or false, got {_show(value)}", field=field
    )


def _response_types(value: Any, field: str, notes: list[str]) -> tuple[str, ...]:
    allowed = f'[] or ["{REPORT_BATCH_ITEM_FAILURES}"]'
    if isinstance(value, str):
        hint = f"; write [{json.dumps(value)}]" if value else ""
        raise InvalidConfiguration(
            f"must be a list, {allowed}, got the string {json.dumps(value)}{hint}",
            field=field,
        )
    if not isinstance(value, list):
        raise InvalidConfiguration(
            f"must be a list, {allowed}, got {_show(value)}", field=field
        )
    if any(_is_intrinsic(item) for item in value):
        notes.append(
            f"{field} is {_show(value)}, which cannot be resolved; "
            "the API default [] is used"
        )
        return ()
    if len(value) > 1 or any(item != REPORT_BATCH_ITEM_FAILURES for item in value):
        raise InvalidConfiguration(
            f"must be {allowed}, got {_show(value)}", field=field
        )
    return tuple(value)


def _has_filters(value: Any, field: str) -> bool:
    if not isinstance(value, dict):
        raise InvalidConfiguration(
            f'must be an object such as {{"Filters": [...]}}, got {_show(value)}',
            field=field,
        )
    filters = value.get("Filters")
    if filters is None:
        return False
    if isinstance(filters, list):
        return bool(filters)
    return True  # symbolic or odd, but something is there: assume a filter


def _destination(
    config: Any, prefix: str, notes: list[str], fields: str = "any"
) -> str | None:
    """The on-failure destination ARN, a placeholder if symbolic, or None."""
    outer, inner = _DESTINATION_FIELDS.get(
        fields,
        (
            _DESTINATION_FIELDS["api"][0] | _DESTINATION_FIELDS["cfn"][0],
            _DESTINATION_FIELDS["api"][1],
        ),
    )
    if config is None or _is_no_value(config):
        return None
    if _is_intrinsic(config):
        notes.append(
            f"{prefix}DestinationConfig is {_show(config)}, which cannot be "
            "resolved; the model assumes no on-failure destination"
        )
        return None
    if not isinstance(config, dict):
        raise InvalidConfiguration(
            'must be an object such as {"OnFailure": {"Destination": "arn:..."}}, '
            f"got {_show(config)}",
            field=prefix + "DestinationConfig",
        )
    what = _FORMAT_NAMES[fields]
    _check_fields(config, outer, prefix + "DestinationConfig.", what)
    on_failure = config.get("OnFailure")
    if on_failure is None or _is_no_value(on_failure):
        return None
    if _is_intrinsic(on_failure):
        notes.append(
            f"{prefix}DestinationConfig.OnFailure is {_show(on_failure)}, which "
            "cannot be resolved; the model assumes no on-failure destination"
        )
        return None
    if not isinstance(on_failure, dict):
        raise InvalidConfiguration(
            'must be an object such as {"Destination": "arn:..."}, '
            f"got {_show(on_failure)}",
            field=prefix + "DestinationConfig.OnFailure",
        )
    _check_fields(on_failure, inner, prefix + "DestinationConfig.OnFailure.", what)
    arn = on_failure.get("Destination")
    field = prefix + _DESTINATION
    if arn is None or arn == "" or _is_no_value(arn):
        return None
    if _is_intrinsic(arn):
        if "Fn::If" in arn:
            notes.append(
                f"{field} is {_show(arn)}, which may or may not name a destination; "
                "the model assumes none"
            )
            return None
        notes.append(
            f"{field} is {_show(arn)}; taken as a configured destination whose ARN "
            "is not known"
        )
        return f"<unresolved {_show(arn)}>"
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        raise InvalidConfiguration(
            "must be the ARN string of an SQS queue, SNS topic or S3 bucket "
            "(arn:aws:sqs:..., arn:aws:sns:..., arn:aws:s3:::...), "
            f"got {_show(arn)}",
            field=field,
        )
    return arn


def _source(
    arn: Any, prefix: str, resources: dict[str, Any], notes: list[str]
) -> tuple[str, bool]:
    """The source kind and whether the file said it."""
    field = prefix + "EventSourceArn"
    if arn is None or _is_no_value(arn):
        notes.append(f"{field} is absent, so the source is not known")
        return "kinesis", False
    if isinstance(arn, str):
        kind = _classify_arn(arn)
        if kind is None:
            raise InvalidConfiguration(
                "must be a Kinesis stream ARN (arn:aws:kinesis:...:stream/NAME) or a "
                "DynamoDB stream ARN (arn:aws:dynamodb:...:table/NAME/stream/LABEL), "
                f"got {_show(arn)}",
                field=field,
            )
        return kind, True
    if _is_intrinsic(arn):
        kind = _resolve_intrinsic_source(arn, resources)
        if kind is not None:
            return kind, True
        notes.append(
            f"{field} is {_show(arn)}, which cannot be resolved, so the source is "
            "not known"
        )
        return "kinesis", False
    raise InvalidConfiguration(
        f"must be the ARN string of a Kinesis or DynamoDB stream, got {_show(arn)}",
        field=field,
    )


def _classify_arn(arn: str) -> str | None:
    text = arn.replace("${AWS::Partition}", "aws")
    match = _ARN.match(text)
    if match is None:
        return None
    service = match.group("service")
    if service == "kinesis":
        return "kinesis"
    if service == "dynamodb" and _DYNAMODB_STREAM.search(text):
        return "dynamodb"
    return None


def _resolve_intrinsic_source(
    value: dict[str, Any], resources: dict[str, Any]
) -> str | None:
    """The source kind of a ``Ref``, ``Fn::GetAtt`` or ``Fn::Sub``, if it shows."""
    if "Fn::Sub" in value:
        template = value["Fn::Sub"]
        if isinstance(template, list) and template:
            template = template[0]
        return _classify_arn(template) if isinstance(template, str) else None
    target: Any = None
    if "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        if isinstance(target, str):
            target = target.split(".", 1)[0]
        elif isinstance(target, list) and target:
            target = target[0]
    elif "Ref" in value:
        target = value["Ref"]
    if not isinstance(target, str):
        return None
    resource = resources.get(target)
    if not isinstance(resource, dict):
        return None
    return _SOURCE_TYPES.get(str(resource.get("Type")))


# --- small helpers ---------------------------------------------------------------


def _plain(value: Any) -> str:
    """A value JSON has no form for, as written in the file (dates from YAML)."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


_FIELDS = {"api": _API_FIELDS, "cfn": _CFN_FIELDS, "any": _API_FIELDS | _CFN_FIELDS}

_FORMAT_NAMES = {
    "api": "get-event-source-mapping output",
    "cfn": f"{_RESOURCE_TYPE} Properties",
    "sam": "a SAM Kinesis or DynamoDB event's Properties",
    "any": "an event source mapping (get-event-source-mapping output or "
    "CloudFormation Properties)",
}


def _check_fields(
    data: dict[Any, Any], allowed: frozenset[str], prefix: str, what: str
) -> None:
    """Refuse a field the format does not have: a misspelt setting would otherwise
    be ignored silently and its default (unlimited retries, say) judged instead."""
    for key in data:
        if key in allowed:
            continue
        name = str(key)
        close = _close_field(name, allowed)
        hint = (
            f"did you mean {close}?"
            if close
            else f"{what} has no such field; check the spelling"
        )
        raise InvalidConfiguration(f"unknown field; {hint}", field=prefix + name)


def _close_field(name: str, allowed: frozenset[str]) -> str | None:
    """The field ``name`` is probably a misspelling of, if any."""
    close = difflib.get_close_matches(name, sorted(allowed), n=1, cutoff=0.6)
    if close:
        return close[0]
    lowered = {field.lower(): field for field in allowed}
    return lowered.get(name.lower())


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _TooLarge(text)
    return value


class _TooLarge(ValueError):
    pass


def parse_json(text: str) -> Any:
    """``json.loads``, refusing what it would accept silently or crash on.

    A key given twice (JSON keeps the last one silently), a number too large for
    a float (1e400 becomes infinity), ``NaN``/``Infinity`` and nesting too deep
    for Python's recursion are refused with an ``InvalidInput`` naming the fix;
    broken JSON raises ``json.JSONDecodeError`` as ``json.loads`` does.

    >>> parse_json('{"BatchSize": 10}')
    {'BatchSize': 10}
    >>> parse_json('{"BatchSize": 10, "BatchSize": 20}')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    model.errors.InvalidInput: the key "BatchSize" appears twice in one object; ...
    """
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_finite,
            parse_constant=_refuse_constant,
        )
    except _DuplicateKey as error:
        raise InvalidInput(
            f"the key {json.dumps(error.args[0])} appears twice in one object; "
            "JSON keeps only the last, so remove one"
        ) from None
    except _TooLarge as error:
        raise InvalidInput(
            f"the number {_cut(error.args[0])} is too large for a float; give a "
            "number below 1e308"
        ) from None
    except RecursionError:
        raise InvalidInput(
            "nested too deeply (arrays or objects inside each other hundreds of "
            "levels deep); flatten it"
        ) from None


def _refuse_constant(text: str) -> Any:
    raise InvalidInput(f"{text} is not a JSON number; give a finite number")


def _cut(text: str) -> str:
    return text if len(text) <= 30 else text[:27] + "..."


def _is_intrinsic(value: Any) -> bool:
    """Whether a value is a CloudFormation intrinsic function such as ``Ref``."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    (key,) = value
    return key == "Ref" or key == "Condition" or key.startswith("Fn::")


def _is_no_value(value: Any) -> bool:
    return value == {"Ref": "AWS::NoValue"}


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return "an object"


def _show(value: Any) -> str:
    """A value as JSON, shortened so that a refusal stays one readable line.

    YAML reads an unquoted 2021-01-01 as a date: it is shown as the date written.

    >>> _show(datetime.date(2021, 1, 1)), _show(True)
    ('the date 2021-01-01', 'true')
    """
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    try:
        text = json.dumps(value, default=_plain)
    except (ValueError, RecursionError):
        text = "a value too deeply nested to show"
    return text if len(text) <= 80 else text[:77] + "..."
