"""The network: a VPC over three availability zones and the flows the platform needs, no more.

Subnet tiers: public (NAT gateways only), private (Dagster's ECS tasks, DMS, the interface
endpoints) and isolated (Aurora: no route out of the VPC at all). Security groups carry the
flows between services; network ACLs repeat them per tier as a second fence:
- Dagster -> Aurora 5432, DMS -> Aurora 5432 (nothing else reaches the database);
- webserver / daemon -> code server 4000 (gRPC), the VPC -> webserver 3000;
- everything in the private tier -> 443 (AWS APIs through the endpoints, Snowflake, Databricks,
  the image registry through NAT).
S3 and DynamoDB are reached through gateway endpoints (no NAT charges, no internet path);
Kinesis, Glue, STS, Secrets Manager and CloudWatch through interface endpoints. Snowflake's
PrivateLink endpoint is a placeholder until the account's endpoint service is known.
"""

from __future__ import annotations

from aws_cdk import Stack, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.environments import Environment
from infra.suppressions import accept

POSTGRES = 5432
HTTPS = 443
WEBSERVER = 3000
CODE_SERVER = 4000
EPHEMERAL = (1024, 65535)

INTERFACE_ENDPOINTS = {
    "Kinesis": ec2.InterfaceVpcEndpointAwsService.KINESIS_STREAMS,
    "Glue": ec2.InterfaceVpcEndpointAwsService.GLUE,
    "Sts": ec2.InterfaceVpcEndpointAwsService.STS,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    "CloudWatch": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
}


class NetworkStack(Stack):
    def __init__(self, scope: Construct, config: Environment, **kwargs) -> None:
        super().__init__(scope, config.stack_name("network"), **kwargs)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(config.vpc_cidr),
            availability_zones=list(config.availability_zones),
            nat_gateways=config.nat_gateways,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(
                    name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20
                ),
                ec2.SubnetConfiguration(
                    name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
                ),
            ],
            restrict_default_security_group=True,
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
                "DynamoDb": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.DYNAMODB),
            },
        )
        # CDK's provider Lambda that empties the default security group at deploy time
        accept(
            self.node.find_child("Custom::VpcRestrictDefaultSGCustomResourceProvider").node.find_child(
                "Handler"
            ),
            "cdk-provider-lambda",
        )
        flow_logs = logs.LogGroup(self, "FlowLogs", retention=logs.RetentionDays.ONE_YEAR)
        accept(flow_logs, "logs-default-key")
        self.vpc.add_flow_log("FlowLog", destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs))
        private = self.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        isolated = self.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)

        # each interface endpoint opens HTTPS from the VPC's range on this group
        self.endpoints_sg = self._group("Endpoints", "Interface endpoints: HTTPS from the VPC")
        for name, service in INTERFACE_ENDPOINTS.items():
            self.vpc.add_interface_endpoint(
                name,
                service=service,
                subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                security_groups=[self.endpoints_sg],
                private_dns_enabled=True,
            )

        self.database_sg = self._group("Database", "Aurora: 5432 from Dagster and DMS only")
        self.dms_sg = self._group("Dms", "DMS replication instance")
        self.dagster_sg = self._group("Dagster", "Dagster webserver, daemon, code server and runs")
        for source, why in ((self.dagster_sg, "Dagster (runs, checks)"), (self.dms_sg, "DMS (CDC)")):
            self.database_sg.add_ingress_rule(source, ec2.Port.tcp(POSTGRES), why)
            source.add_egress_rule(self.database_sg, ec2.Port.tcp(POSTGRES), "the shop's database")
        for group in (self.dagster_sg, self.dms_sg):
            group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(HTTPS), "AWS APIs, Snowflake, Databricks")
        self.dagster_sg.add_ingress_rule(self.dagster_sg, ec2.Port.tcp(CODE_SERVER), "code server (gRPC)")
        self.dagster_sg.add_egress_rule(self.dagster_sg, ec2.Port.tcp(CODE_SERVER), "code server (gRPC)")
        self.dagster_sg.add_ingress_rule(ec2.Peer.ipv4(config.vpc_cidr), ec2.Port.tcp(WEBSERVER), "the UI")

        # Snowflake's PrivateLink: the endpoint needs the account's service name
        # (SYSTEM$GET_PRIVATELINK_CONFIG); until then only its security group exists
        self.snowflake_sg = self._group("SnowflakePrivateLink", "Snowflake PrivateLink: HTTPS from Dagster")
        self.snowflake_sg.add_ingress_rule(self.dagster_sg, ec2.Port.tcp(HTTPS), "Snowflake from Dagster")
        if config.snowflake_privatelink_service:
            ec2.InterfaceVpcEndpoint(
                self,
                "SnowflakePrivateLink",
                vpc=self.vpc,
                service=ec2.InterfaceVpcEndpointService(config.snowflake_privatelink_service, HTTPS),
                subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                security_groups=[self.snowflake_sg],
                private_dns_enabled=False,
            )

        self._isolated_acl(isolated, private, config)
        self._private_acl(private, isolated, config)

    def _group(self, name: str, description: str) -> ec2.SecurityGroup:
        group = ec2.SecurityGroup(
            self, f"{name}Sg", vpc=self.vpc, description=description, allow_all_outbound=False
        )
        Tags.of(group).add("Name", name)
        return group

    def _isolated_acl(self, isolated: ec2.SelectedSubnets, private: ec2.SelectedSubnets, config) -> None:
        """The database tier: 5432 in from the private tier, answers back to it; nothing else."""
        acl = ec2.NetworkAcl(
            self,
            "IsolatedAcl",
            vpc=self.vpc,
            subnet_selection=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        )
        for i, subnet in enumerate(private.subnets):
            cidr = ec2.AclCidr.ipv4(subnet.ipv4_cidr_block)
            acl.add_entry(
                f"PostgresIn{i}",
                cidr=cidr,
                rule_number=100 + i,
                traffic=ec2.AclTraffic.tcp_port(POSTGRES),
                direction=ec2.TrafficDirection.INGRESS,
            )
            acl.add_entry(
                f"AnswersOut{i}",
                cidr=cidr,
                rule_number=100 + i,
                traffic=ec2.AclTraffic.tcp_port_range(*EPHEMERAL),
                direction=ec2.TrafficDirection.EGRESS,
            )

    def _private_acl(self, private: ec2.SelectedSubnets, isolated: ec2.SelectedSubnets, config) -> None:
        """The service tier: HTTPS out, Postgres to the database tier, the UI and gRPC within the
        VPC, and answers to all of these."""
        acl = ec2.NetworkAcl(
            self,
            "PrivateAcl",
            vpc=self.vpc,
            subnet_selection=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        )
        vpc = ec2.AclCidr.ipv4(config.vpc_cidr)
        anywhere = ec2.AclCidr.any_ipv4()
        rules = [
            ("HttpsIn", 100, vpc, ec2.AclTraffic.tcp_port(HTTPS), ec2.TrafficDirection.INGRESS),
            ("WebserverIn", 110, vpc, ec2.AclTraffic.tcp_port(WEBSERVER), ec2.TrafficDirection.INGRESS),
            ("CodeServerIn", 120, vpc, ec2.AclTraffic.tcp_port(CODE_SERVER), ec2.TrafficDirection.INGRESS),
            # answers to HTTPS calls through NAT and the S3/DynamoDB gateways (public addresses)
            (
                "AnswersIn",
                200,
                anywhere,
                ec2.AclTraffic.tcp_port_range(*EPHEMERAL),
                ec2.TrafficDirection.INGRESS,
            ),
            ("HttpsOut", 100, anywhere, ec2.AclTraffic.tcp_port(HTTPS), ec2.TrafficDirection.EGRESS),
            ("AnswersOut", 200, vpc, ec2.AclTraffic.tcp_port_range(*EPHEMERAL), ec2.TrafficDirection.EGRESS),
        ]
        rules += [
            (
                f"PostgresOut{i}",
                110 + i,
                ec2.AclCidr.ipv4(s.ipv4_cidr_block),
                ec2.AclTraffic.tcp_port(POSTGRES),
                ec2.TrafficDirection.EGRESS,
            )
            for i, s in enumerate(isolated.subnets)
        ]
        for name, number, cidr, traffic, direction in rules:
            acl.add_entry(name, cidr=cidr, rule_number=number, traffic=traffic, direction=direction)
