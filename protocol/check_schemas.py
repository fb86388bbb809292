#!/usr/bin/env python3
"""Validates the test vectors in vectors/ against the JSON Schemas in schemas/.

Checks, exiting 1 on any failure:
- every schema is a valid draft 2020-12 schema and its $id matches its path;
- every vector frame is accepted or rejected by the frame schema as its `schemaValid` says
  (default: valid frames accepted, invalid frames rejected); every `normalized` frame is accepted;
- every frame type of the schemas has at least one valid vector;
- the error codes in common.schema.json are exactly those of error-codes.json.

Usage: python3 protocol/check_schemas.py   (needs the `jsonschema` package)
"""

import json
import sys
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parent
SCHEMAS = ROOT / "schemas"
VECTORS = ROOT / "vectors"
BASE_ID = "https://kubegale.dev/protocol/v1/schemas/"

failures: list[str] = []


def load(path: Path):
    def reject_constant(name):
        raise ValueError(f"{path}: non-JSON constant {name}")

    with path.open(encoding="utf-8") as file:
        return json.load(file, parse_constant=reject_constant)


def load_schemas() -> dict[str, dict]:
    schemas = {}
    for path in sorted(SCHEMAS.rglob("*.schema.json")):
        schema = load(path)
        Draft202012Validator.check_schema(schema)
        expected_id = BASE_ID + path.relative_to(SCHEMAS).as_posix()
        if schema.get("$id") != expected_id:
            failures.append(f"{path}: $id is {schema.get('$id')!r}, expected {expected_id!r}")
        schemas[expected_id] = schema
    return schemas


def frame_types(union: dict, schemas: dict) -> set[str]:
    types = set()
    for branch in union["oneOf"]:
        target = schemas[BASE_ID + branch["$ref"]]
        types.add(target["properties"]["type"]["const"])
    return types


def check_frames(side: str, schemas: dict, registry: Registry) -> int:
    union = schemas[f"{BASE_ID}{side}-frame.schema.json"]
    validator = Draft202012Validator(union, registry=registry)
    vectors = load(VECTORS / f"{side}-frames.json")
    checked = 0
    covered = set()
    for kind, default in (("valid", True), ("invalid", False)):
        for vector in vectors[kind]:
            label = f"{side}-frames.json {kind} {vector['name']!r}"
            if "normalized" in vector:
                checked += 1
                if not validator.is_valid(vector["normalized"]):
                    reason = next(validator.iter_errors(vector["normalized"])).message
                    failures.append(f"{label}: normalized frame rejected: {reason}")
                covered.add(vector["normalized"]["type"])
            if "frame" not in vector:
                continue  # raw text or bytes: a parser case, not a schema case
            checked += 1
            expected = vector.get("schemaValid", default)
            if validator.is_valid(vector["frame"]) != expected:
                errors = [error.message for error in validator.iter_errors(vector["frame"])]
                verdict = "rejected" if errors else "accepted"
                failures.append(f"{label}: schema {verdict} the frame, expected schemaValid={expected} {errors[:1]}")
    missing = frame_types(union, schemas) - covered
    if missing:
        failures.append(f"{side}-frames.json: no valid vector for {sorted(missing)}")
    return checked


def check_error_codes(schemas: dict) -> None:
    schema_codes = schemas[BASE_ID + "common.schema.json"]["$defs"]["code"]["enum"]
    vector_codes = [entry["code"] for entry in load(VECTORS / "error-codes.json")["codes"]]
    if sorted(schema_codes) != sorted(vector_codes):
        failures.append(f"common.schema.json codes {schema_codes} differ from error-codes.json {vector_codes}")


def main() -> int:
    schemas = load_schemas()
    registry = Registry().with_resources(
        (schema_id, Resource.from_contents(schema)) for schema_id, schema in schemas.items()
    )
    checked = sum(check_frames(side, schemas, registry) for side in ("client", "server"))
    check_error_codes(schemas)
    if checked == 0:
        failures.append("no vectors checked")
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    print(f"check_schemas: {len(schemas)} schemas, {checked} frames checked, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
