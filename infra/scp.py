"""Service control policies, as documents for the organization's management account to attach.

SCPs live in AWS Organizations, not in the accounts this app deploys to, so the app writes them
as JSON (`cdk.out/scp/<name>.json`) instead of deploying them. Each denies what no one in a
lakehouse account should do, whatever their IAM permissions say.
"""

from __future__ import annotations

import json
from pathlib import Path

from infra.environments import ENVIRONMENTS

# the platform's own roles bypass nothing: these exceptions are the organization's admin role only
ADMIN_ROLE = "arn:aws:iam::*:role/OrganizationAccountAccessRole"


def _deny(sid: str, actions: list[str], condition: dict | None = None, *, not_actions: bool = False) -> dict:
    """Deny `actions` (or, with not_actions, everything but them) to all but the admin role."""
    statement = {
        "Sid": sid,
        "Effect": "Deny",
        "NotAction" if not_actions else "Action": actions,
        "Resource": "*",
    }
    statement["Condition"] = {**(condition or {}), "ArnNotLike": {"aws:PrincipalARN": ADMIN_ROLE}}
    return statement


def documents() -> dict[str, dict]:
    regions = sorted({e.region for e in ENVIRONMENTS.values()})
    return {
        "protect-audit": {
            "Version": "2012-10-17",
            "Statement": [
                _deny(
                    "KeepCloudTrail",
                    [
                        "cloudtrail:StopLogging",
                        "cloudtrail:DeleteTrail",
                        "cloudtrail:UpdateTrail",
                        "cloudtrail:PutEventSelectors",
                    ],
                ),
                _deny(
                    "KeepGuardDuty",
                    [
                        "guardduty:DeleteDetector",
                        "guardduty:UpdateDetector",
                        "guardduty:DisassociateFromMasterAccount",
                    ],
                ),
                _deny(
                    "KeepConfig",
                    [
                        "config:StopConfigurationRecorder",
                        "config:DeleteConfigurationRecorder",
                        "config:DeleteDeliveryChannel",
                    ],
                ),
                _deny("StayInOrganization", ["organizations:LeaveOrganization"]),
            ],
        },
        "protect-data": {
            "Version": "2012-10-17",
            "Statement": [
                _deny(
                    "NoPublicBuckets",
                    [
                        "s3:PutBucketPublicAccessBlock",
                        "s3:PutAccountPublicAccessBlock",
                        "s3:DeletePublicAccessBlock",
                    ],
                ),
                _deny(
                    "NoUnencryptedDatabases",
                    ["rds:CreateDBCluster", "rds:CreateDBInstance"],
                    condition={"Bool": {"rds:StorageEncrypted": "false"}},
                ),
                _deny("KeepKeys", ["kms:ScheduleKeyDeletion", "kms:DisableKey"]),
                _deny(
                    "NoRootUser", ["*"], condition={"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}
                ),
            ],
        },
        "allowed-regions": {
            "Version": "2012-10-17",
            "Statement": [
                # global services answer from us-east-1; everything else stays in the platform's regions
                _deny(
                    "OnlyPlatformRegions",
                    [
                        "iam:*",
                        "organizations:*",
                        "sts:*",
                        "support:*",
                        "budgets:*",
                        "cloudfront:*",
                        "route53:*",
                        "health:*",
                        "ce:*",
                    ],
                    {"StringNotEquals": {"aws:RequestedRegion": [*regions, "us-east-1"]}},
                    not_actions=True,
                ),
            ],
        },
    }


def write(outdir: Path) -> list[Path]:
    folder = outdir / "scp"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, doc in documents().items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(doc, indent=2) + "\n")
        written.append(path)
    return written
