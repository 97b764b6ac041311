"""Least privilege, checked: every Allow in every IAM policy of the templates, against two rules.

1. No wildcard action on a data service (`*`, `s3:*`, `dynamodb:*`, `kinesis:*`, ...).
2. No data action on Resource `*`.
Actions that take no resource at all (describe/list calls, PutMetricData, ECR's token) are not
data actions; the services below hold the platform's data or its keys. Deny statements narrow
access and are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass

DATA_SERVICES = frozenset(
    {"s3", "dynamodb", "kinesis", "firehose", "glue", "secretsmanager", "kms", "rds-data", "sagemaker"}
)
POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")


@dataclass(frozen=True)
class Finding:
    resource: str  # stack/logical id
    action: str
    problem: str


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def _documents(resource: dict) -> list[dict]:
    props = resource.get("Properties", {})
    if resource["Type"] in POLICY_TYPES:
        return [props["PolicyDocument"]]
    if resource["Type"] == "AWS::IAM::Role":
        return [p["PolicyDocument"] for p in props.get("Policies", [])]
    return []


def data_action_findings(templates: dict[str, dict]) -> list[Finding]:
    found = []
    for stack, template in templates.items():
        for logical, resource in template.get("Resources", {}).items():
            for document in _documents(resource):
                for statement in _list(document.get("Statement", [])):
                    if statement.get("Effect") != "Allow":
                        continue
                    star_resource = "*" in _list(statement.get("Resource", []))
                    for action in _list(statement.get("Action", [])):
                        service, _, name = action.partition(":")
                        where = f"{stack}/{logical}"
                        if action == "*" or (service in DATA_SERVICES and name == "*"):
                            found.append(Finding(where, action, "wildcard action on data"))
                        elif service in DATA_SERVICES and star_resource:
                            found.append(Finding(where, action, "data action on Resource '*'"))
    return found
