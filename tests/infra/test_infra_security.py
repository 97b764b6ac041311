"""What matters for security, on the synthesized templates (aws_cdk.assertions): encryption
everywhere, no public access, multi-AZ, only the platform's network flows, least privilege."""

from __future__ import annotations

from functools import cache

import pytest
from aws_cdk.assertions import Match, Template

from infra.environments import ENVIRONMENTS
from infra.iam_walk import data_action_findings

ENVS = sorted(ENVIRONMENTS)


@pytest.fixture(scope="module")
def template(synthesized):
    @cache
    def get(env: str, concern: str) -> Template:
        return Template.from_json(synthesized.template(env, concern))

    return get


@pytest.mark.parametrize("env", ENVS)
def test_every_store_is_encrypted_with_a_customer_managed_key(template, synthesized, env):
    storage = template(env, "storage")
    storage.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": ENVIRONMENTS[env].lake_bucket,
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": Match.any_value(),
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
            "VersioningConfiguration": {"Status": "Enabled"},
        },
    )
    for stack, logical, bucket in synthesized.all_resources("AWS::S3::Bucket"):
        if f"-{env}-" in stack:
            rules = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            assert rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("aws:kms", "AES256"), logical
    streams = template(env, "streams")
    streams.has_resource_properties(
        "AWS::DynamoDB::Table",
        {"SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": Match.any_value()}},
    )
    streams.has_resource_properties(
        "AWS::Kinesis::Stream", {"StreamEncryption": {"EncryptionType": "KMS", "KeyId": Match.any_value()}}
    )
    streams.has_resource_properties(
        "AWS::KinesisFirehose::DeliveryStream",
        {
            "ExtendedS3DestinationConfiguration": Match.object_like(
                {"EncryptionConfiguration": {"KMSEncryptionConfig": {"AWSKMSKeyARN": Match.any_value()}}}
            )
        },
    )
    oltp = template(env, "oltp-cdc")
    oltp.has_resource_properties(
        "AWS::RDS::DBCluster", {"StorageEncrypted": True, "KmsKeyId": Match.any_value()}
    )
    oltp.has_resource_properties("AWS::DMS::ReplicationInstance", {"KmsKeyId": Match.any_value()})
    oltp.has_resource_properties(
        "AWS::DMS::Endpoint",
        {
            "S3Settings": Match.object_like(
                {"EncryptionMode": "SSE_KMS", "ServerSideEncryptionKmsKeyId": Match.any_value()}
            )
        },
    )
    for _, logical, secret in synthesized.all_resources("AWS::SecretsManager::Secret"):
        assert "KmsKeyId" in secret["Properties"], logical
    template(env, "monitoring").has_resource_properties(
        "AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()}
    )
    template(env, "monitoring").has_resource_properties(
        "AWS::CloudTrail::Trail",
        {"KMSKeyId": Match.any_value(), "EnableLogFileValidation": True, "IsMultiRegionTrail": True},
    )
    for _, logical, key in synthesized.all_resources("AWS::KMS::Key"):
        assert key["Properties"]["EnableKeyRotation"] is True, logical


def test_nothing_is_public(synthesized):
    everything_blocked = {
        k: True for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    }
    buckets = list(synthesized.all_resources("AWS::S3::Bucket"))
    assert len(buckets) == 3 * len(ENVS)  # the lake, its access logs, the audit logs
    for stack, logical, bucket in buckets:
        assert bucket["Properties"]["PublicAccessBlockConfiguration"] == everything_blocked, (stack, logical)
    tls_only = {
        stack
        for stack, _, policy in synthesized.all_resources("AWS::S3::BucketPolicy")
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    }
    assert len([p for p in synthesized.all_resources("AWS::S3::BucketPolicy")]) == len(buckets)
    assert tls_only == {s for s, _, _ in buckets}
    for stack, logical, db in synthesized.all_resources("AWS::RDS::DBInstance"):
        assert db["Properties"]["PubliclyAccessible"] is False, (stack, logical)
    for stack, logical, dms in synthesized.all_resources("AWS::DMS::ReplicationInstance"):
        assert dms["Properties"]["PubliclyAccessible"] is False, (stack, logical)
    for stack, logical, service in synthesized.all_resources("AWS::ECS::Service"):
        network = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert network["AssignPublicIp"] == "DISABLED", (stack, logical)
    open_ingress = [
        (stack, logical)
        for stack, logical, sg in synthesized.all_resources("AWS::EC2::SecurityGroup")
        for rule in sg["Properties"].get("SecurityGroupIngress", [])
        if rule.get("CidrIp") == "0.0.0.0/0"
    ] + [
        (stack, logical)
        for stack, logical, rule in synthesized.all_resources("AWS::EC2::SecurityGroupIngress")
        if rule["Properties"].get("CidrIp") == "0.0.0.0/0"
    ]
    assert open_ingress == []


@pytest.mark.parametrize("env", ENVS)
def test_three_availability_zones_and_a_multi_az_database(template, synthesized, env):
    config = ENVIRONMENTS[env]
    subnets = synthesized.resources(env, "network", "AWS::EC2::Subnet").values()
    by_tier: dict[str, set[str]] = {}
    for subnet in subnets:
        tier = next(t["Value"] for t in subnet["Properties"]["Tags"] if t["Key"] == "aws-cdk:subnet-name")
        by_tier.setdefault(tier, set()).add(subnet["Properties"]["AvailabilityZone"])
    assert by_tier == {t: set(config.availability_zones) for t in ("public", "private", "isolated")}
    assert len(synthesized.resources(env, "network", "AWS::EC2::NatGateway")) == config.nat_gateways
    oltp = template(env, "oltp-cdc")
    oltp.resource_count_is("AWS::RDS::DBInstance", 2)  # writer and reader: a failover target
    groups = synthesized.resources(env, "oltp-cdc", "AWS::RDS::DBSubnetGroup")
    (group,) = groups.values()
    assert len(group["Properties"]["SubnetIds"]) == 3
    oltp.has_resource_properties(
        "AWS::RDS::DBCluster",
        {"BackupRetentionPeriod": config.db_backup_days, "DeletionProtection": config.deletion_protection},
    )
    oltp.has_resource_properties(
        "AWS::RDS::DBClusterParameterGroup",
        {"Parameters": Match.object_like({"rds.logical_replication": "1"})},
    )
    oltp.has_resource_properties("AWS::DMS::ReplicationInstance", {"MultiAZ": config.dms_multi_az})
    assert ENVIRONMENTS["prod"].dms_multi_az and ENVIRONMENTS["prod"].nat_gateways == 3


def _ingress(synthesized, env: str) -> list[dict]:
    rules = [
        r["Properties"]
        for stack, _, r in synthesized.all_resources("AWS::EC2::SecurityGroupIngress")
        if f"-{env}-" in stack
    ]
    for stack, logical, sg in synthesized.all_resources("AWS::EC2::SecurityGroup"):
        if f"-{env}-" in stack:
            rules += [
                {**r, "GroupId": {"Ref": logical}} for r in sg["Properties"].get("SecurityGroupIngress", [])
            ]
    return rules


@pytest.mark.parametrize("env", ENVS)
def test_only_dagster_and_dms_reach_the_database(synthesized, env):
    network = synthesized.template(env, "network")["Resources"]
    ids = {
        network[k]["Properties"]["GroupDescription"].split(":")[0]: k
        for k in network
        if network[k]["Type"] == "AWS::EC2::SecurityGroup"
    }
    to_db = [
        r for r in _ingress(synthesized, env) if r["GroupId"] == {"Fn::GetAtt": [ids["Aurora"], "GroupId"]}
    ]
    assert sorted(
        (r["FromPort"], r["ToPort"], r["SourceSecurityGroupId"]["Fn::GetAtt"][0]) for r in to_db
    ) == sorted(
        (5432, 5432, ids[name])
        for name in ("Dagster webserver, daemon, code server and runs", "DMS replication instance")
    )
    # the isolated tier's ACL: Postgres in from the private tier, answers out, nothing else
    acls = synthesized.resources(env, "network", "AWS::EC2::NetworkAclEntry")
    isolated = [a["Properties"] for k, a in acls.items() if k.startswith("IsolatedAcl")]
    inbound = {(e["PortRange"]["From"], e["PortRange"]["To"]) for e in isolated if not e.get("Egress")}
    assert inbound == {(5432, 5432)} and all(e["RuleAction"] == "allow" for e in isolated)
    assert len(isolated) == 6  # one in and one out per private subnet


def test_no_star_actions_on_data_and_no_star_resources_for_data_actions(synthesized):
    findings = data_action_findings(synthesized.templates)
    assert findings == []


def test_the_policy_walk_finds_what_it_must():
    bad = {
        "S": {
            "Resources": {
                "P": {
                    "Type": "AWS::IAM::Policy",
                    "Properties": {
                        "PolicyDocument": {
                            "Statement": [
                                {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"},
                                {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "*"},
                                {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},  # a deny narrows: fine
                                {
                                    "Effect": "Allow",
                                    "Action": ["ecs:DescribeTaskDefinition"],
                                    "Resource": "*",
                                },
                            ]
                        }
                    },
                },
                "R": {
                    "Type": "AWS::IAM::Role",
                    "Properties": {
                        "Policies": [
                            {
                                "PolicyDocument": {
                                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
                                }
                            }
                        ]
                    },
                },
            }
        }
    }
    assert [(f.resource, f.action) for f in data_action_findings(bad)] == [
        ("S/P", "s3:*"),
        ("S/P", "dynamodb:GetItem"),
        ("S/R", "*"),
    ]
