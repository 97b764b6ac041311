"""The AWS account as code: an AWS CDK app (Python) with one stack per concern and environment.

`python -m infra.app` (`make infra-synth`) writes the CloudFormation templates to `cdk.out/`
without AWS credentials: every environment names its account, region and availability zones.
Names and formats (bucket layout, DMS settings, Firehose prefix and format, table, stream and
database names, retention) are imported from platform_assets through `infra/names.py`.
"""

import os

# jsii prints a Node end-of-life banner on every start (the kernel starts at `import aws_cdk`);
# the machine's Node is what it is
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
