"""The CDK app: every stack of every environment, synthesized without AWS credentials.

`python -m infra.app [--outdir cdk.out] [--env dev|prod ...]` (`make infra-synth`) writes one
CloudFormation template per stack and environment, plus the service control policies
(`<outdir>/scp/`). Stacks per environment, each one concern: network, storage, oltp-cdc,
streams, catalog-compute, monitoring.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk

from infra import scp
from infra.environments import ENVIRONMENTS, Environment
from infra.stacks.catalog_compute import CatalogComputeStack
from infra.stacks.monitoring import MonitoringStack
from infra.stacks.network import NetworkStack
from infra.stacks.oltp_cdc import OltpCdcStack
from infra.stacks.storage import StorageStack
from infra.stacks.streams import StreamsStack


@dataclass
class EnvironmentStacks:
    network: NetworkStack
    storage: StorageStack
    oltp_cdc: OltpCdcStack
    streams: StreamsStack
    catalog_compute: CatalogComputeStack
    monitoring: MonitoringStack

    def all(self) -> list[cdk.Stack]:
        return list(vars(self).values())


def add_environment(app: cdk.App, env: Environment) -> EnvironmentStacks:
    where = cdk.Environment(account=env.account, region=env.region)
    tags = {"project": "lakehouse", "environment": env.name}
    network = NetworkStack(app, env, env=where)
    storage = StorageStack(app, env, env=where)
    oltp = OltpCdcStack(app, env, network, storage.lake, storage.lake_key, env=where)
    streams = StreamsStack(app, env, storage.lake, storage.lake_key, env=where)
    compute = CatalogComputeStack(
        app,
        env,
        network,
        storage.lake,
        storage.lake_key,
        streams.metadata_table,
        streams.events_stream,
        oltp.secret,
        oltp.database_key,
        env=where,
    )
    monitoring = MonitoringStack(
        app,
        env,
        storage.lake,
        oltp.cluster,
        streams.events_stream,
        streams.delivery_stream,
        oltp.replication_instance,
        oltp.task,
        compute.log_group,
        storage.access_logs,
        env=where,
    )
    stacks = EnvironmentStacks(network, storage, oltp, streams, compute, monitoring)
    for stack in stacks.all():
        for key, value in tags.items():
            cdk.Tags.of(stack).add(key, value)
    return stacks


# feature flags a new CDK project sets (cdk init): the current, safer behaviours
FEATURE_FLAGS = {
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,  # a bucket policy, not the legacy ACL
    "@aws-cdk/aws-iam:minimizePolicies": True,
    "@aws-cdk/aws-ec2:restrictDefaultSecurityGroup": True,
    "@aws-cdk/aws-kms:applyImportedAliasPermissionsToPrincipal": True,
    "@aws-cdk/core:enablePartitionLiterals": True,
}


def build(
    outdir: Path, environments: list[str] | None = None
) -> tuple[cdk.App, dict[str, EnvironmentStacks]]:
    # asset metadata (as the CDK CLI asks for): each Lambda names its asset folder in cdk.out
    context = {**FEATURE_FLAGS, "aws:cdk:enable-asset-metadata": True}
    app = cdk.App(outdir=str(outdir), analytics_reporting=False, context=context)
    stacks = {name: add_environment(app, ENVIRONMENTS[name]) for name in environments or ENVIRONMENTS}
    return app, stacks


def synth(outdir: Path, environments: list[str] | None = None):
    """Synthesize into `outdir`; returns the cloud assembly and the stacks by environment."""
    app, stacks = build(outdir, environments)
    assembly = app.synth()
    scp.write(outdir)
    return assembly, stacks


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.app", description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", type=Path, default=Path(os.environ.get("CDK_OUTDIR", "cdk.out")))
    parser.add_argument("--env", action="append", choices=sorted(ENVIRONMENTS), help="default: all")
    args = parser.parse_args(argv)
    assembly, _ = synth(args.outdir, args.env)
    for stack in assembly.stacks:
        print(f"{args.outdir / stack.template_file}")


if __name__ == "__main__":
    main()
