"""Every accepted finding of checkov and cfn-lint: which checks, on what, and why.

A checkov finding is accepted only through `accept(resource, key)`, which writes the checks'
ids and the reason into the resource's CloudFormation metadata, where checkov reads them
(`Metadata.checkov.skip[{id, comment}]`). cfn-lint's accepted rules apply to every template
(`CFN_LINT_IGNORED`, passed as `--ignore-checks` by infra/check.py). The README's list is
`markdown()`; tests check that every suppression in the templates is one of these with its
reason, and that each is used.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnResource
from constructs import IConstruct


@dataclass(frozen=True)
class Accepted:
    key: str  # what the code passes to accept()
    checks: tuple[str, ...]  # checkov ids
    what: str  # the resources it applies to
    reason: str

    @property
    def comment(self) -> str:
        return f"{self.what}: {self.reason}"


_ACCEPTED = (
    Accepted(
        "cdk-provider-lambda",
        ("CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117"),
        "CDK's provider Lambda of the VPC (restrict_default_security_group)",
        "CDK's own one-shot function that removes the default security group's rules during a "
        "deploy; it calls only the EC2 API, once per deploy",
    ),
    Accepted(
        "lambda-outside-vpc",
        ("CKV_AWS_117",),
        "the Firehose transform Lambda",
        "it reaches nothing in the VPC: Firehose invokes it with records and takes its answer; a "
        "VPC would only add network interfaces and cold-start time",
    ),
    Accepted(
        "lambda-no-dlq",
        ("CKV_AWS_116",),
        "the Firehose transform Lambda",
        "Firehose invokes it synchronously and retries failed batches itself, then writes what still "
        "fails to the error prefix; an asynchronous dead-letter queue would never receive anything",
    ),
    Accepted(
        "access-logs-not-logged",
        ("CKV_AWS_18",),
        "the access-log bucket",
        "it is the access-log target itself; logging it into itself would loop",
    ),
    Accepted(
        "no-resource-level-permissions",
        ("CKV_AWS_111",),
        "Dagster's run launcher and the Databricks cross-account role",
        "ecs:RegisterTaskDefinition and the EC2 actions Databricks needs to start clusters support "
        "no resource-level permissions; none is a data action, and RunTask and PassRole stay scoped "
        "to the cluster and the roles",
    ),
    Accepted(
        "logs-default-key",
        ("CKV_AWS_158",),
        "the Lambda, Firehose and VPC flow log groups",
        "their events carry no data records (invocations, delivery errors, flow metadata); "
        "CloudWatch Logs encrypts them with its own key",
    ),
)
ACCEPTED: dict[str, Accepted] = {a.key: a for a in _ACCEPTED}

# cfn-lint rules accepted for every template, with why
CFN_LINT_IGNORED: dict[str, str] = {
    "W3010": "availability zones are named on purpose: each environment fixes its three AZs so that "
    "synthesis needs no credentials and no lookup (infra/environments.py)",
    "W3005": "CDK's own constructs (Lambda, CloudTrail, the VPC's provider) add a DependsOn on their role "
    "beside the GetAtt; harmless, and not ours to change",
}


def accept(construct: IConstruct, *keys: str) -> None:
    """Suppress the findings `keys` (entries of ACCEPTED) on `construct`'s CloudFormation resource."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to annotate")
    skip = list((resource.get_metadata("checkov") or {}).get("skip", []))
    for key in keys:
        a = ACCEPTED[key]
        skip += [{"id": check, "comment": a.comment} for check in a.checks]
    resource.add_metadata("checkov", {"skip": skip})


def markdown() -> str:
    """The README's list of accepted findings."""
    rows = ["| tool | check | on | why |", "|---|---|---|---|"]
    rows += [
        f"| checkov | {', '.join(f'`{c}`' for c in a.checks)} | {a.what} | {a.reason} |" for a in _ACCEPTED
    ]
    rows += [f"| cfn-lint | `{rule}` | every template | {why} |" for rule, why in CFN_LINT_IGNORED.items()]
    return "\n".join(rows)
