"""cfn-lint and checkov (offline) on the synthesized templates: nothing but accepted findings,
every suppression with its reason, and the README's list equal to the suppressions."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from infra import check
from infra.suppressions import ACCEPTED, CFN_LINT_IGNORED, markdown

README = Path(__file__).resolve().parents[2] / "README.md"


# The tools run on prod's templates here (dev's differ in values only); `make infra-check` runs
# them on every environment's. Each tool costs ~1 s of CPU per template.
CHECKED = "prod"


def _checked(synthesized) -> list[Path]:
    return [p for p in check.templates(synthesized.outdir) if p.name.startswith(f"lakehouse-{CHECKED}-")]


def _suppressions(synthesized, env: str | None = None) -> list[tuple[str, str, str]]:
    return [
        (f"{stack}/{logical}", skip["id"], skip.get("comment", ""))
        for stack, logical, resource in synthesized.all_resources()
        if env is None or stack.startswith(f"lakehouse-{env}-")
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]


def test_every_suppression_is_an_accepted_finding_with_its_reason(synthesized):
    found = _suppressions(synthesized)
    accepted = {(check_id, a.comment) for a in ACCEPTED.values() for check_id in a.checks}
    assert found and all((check_id, comment) in accepted for _, check_id, comment in found), found
    assert all(len(a.reason) > 40 for a in ACCEPTED.values()) and all(
        len(r) > 40 for r in CFN_LINT_IGNORED.values()
    )
    used = {(check_id, comment) for _, check_id, comment in found}
    assert {(c, a.comment) for a in ACCEPTED.values() for c in a.checks} == used  # none is left over


@pytest.mark.slow
def test_cfn_lint_finds_nothing_but_accepted_rules(synthesized):
    assert check.lint(_checked(synthesized)) == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("uvx") is None, reason="checkov runs through uvx (uv), not installed here")
def test_checkov_offline_finds_nothing_but_accepted_findings(synthesized):
    report = check.checkov(_checked(synthesized))
    assert report.failed == []
    assert report.passed > 300
    # each suppression is needed: checkov reports it as skipped, with our reason
    skipped = {(f["check_id"], f["comment"]) for f in report.skipped}
    assert skipped == {(check_id, comment) for _, check_id, comment in _suppressions(synthesized, CHECKED)}


def test_the_readme_lists_exactly_the_accepted_findings():
    text = README.read_text()
    assert markdown() in text, (
        "README: paste `python -c 'from infra.suppressions import markdown; print(markdown())'`"
    )
    rows = [line for line in text.splitlines() if re.match(r"\| (checkov|cfn-lint) \|", line)]
    assert len(rows) == len(ACCEPTED) + len(CFN_LINT_IGNORED)
