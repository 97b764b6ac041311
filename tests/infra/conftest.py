"""The CDK app, synthesized once per test run; every infra test reads these templates.

infra/ sits beside the package (it is not installed), so the repository's root goes on the path.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@dataclass
class Synthesized:
    outdir: Path
    stacks: dict  # environment -> infra.app.EnvironmentStacks
    templates: dict[str, dict]  # stack name -> template

    def template(self, env: str, concern: str) -> dict:
        return self.templates[f"lakehouse-{env}-{concern}"]

    def resources(self, env: str, concern: str, kind: str) -> dict[str, dict]:
        return {k: v for k, v in self.template(env, concern)["Resources"].items() if v["Type"] == kind}

    def all_resources(self, kind: str | None = None):
        """(stack name, logical id, resource) over every template."""
        for name, template in self.templates.items():
            for logical, resource in template["Resources"].items():
                if kind is None or resource["Type"] == kind:
                    yield name, logical, resource


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory) -> Synthesized:
    from infra.app import synth

    outdir = tmp_path_factory.mktemp("cdk") / "cdk.out"
    assembly, stacks = synth(outdir)
    templates = {s.stack_name: json.loads((outdir / s.template_file).read_text()) for s in assembly.stacks}
    return Synthesized(outdir, stacks, templates)


def pytest_collection_modifyitems(items):
    """Synthesis takes ~40 s of CPU: every test reading the templates is a slow test."""
    for item in items:
        if "synthesized" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
