"""Lint and scan the synthesized templates: cfn-lint (in process) and checkov (isolated, offline).

`python -m infra.check [cdk.out]` (`make infra-check`, after `make infra-synth`) prints every
finding not accepted in infra/suppressions.py and exits 1 if there is one. checkov cannot live in
the project's environment (it pins boto3 1.35), so it runs through `uvx` at a pinned version,
with `--skip-download` (no platform calls, no policy downloads). Suppressed checkov findings
stay visible as skipped checks with their reasons.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from infra.suppressions import CFN_LINT_IGNORED

CHECKOV = "checkov==3.3.30"


def templates(outdir: Path) -> list[Path]:
    found = sorted(outdir.glob("*.template.json"))
    if not found:
        raise SystemExit(f"no *.template.json in {outdir}: run `make infra-synth` first")
    return found


def lint(paths: list[Path]) -> list[str]:
    """cfn-lint's findings on the templates (accepted rules ignored), as `file:line rule message`."""
    from cfnlint.api import lint as cfn_lint
    from cfnlint.config import ManualArgs

    findings = []
    for path in paths:
        region = json.loads(path.read_text()).get("Metadata", {}).get("region")
        config = ManualArgs(
            regions=[region] if region else ["us-east-1"], ignore_checks=list(CFN_LINT_IGNORED)
        )
        for match in cfn_lint(path.read_text(), config=config):
            findings.append(f"{path.name}:{match.linenumber} {match.rule.id} {match.message}")
    return findings


@dataclass
class CheckovReport:
    failed: list[dict] = field(default_factory=list)  # check_id, resource, file
    skipped: list[dict] = field(default_factory=list)  # check_id, resource, file, comment
    passed: int = 0


def checkov(paths: list[Path], timeout_s: float = 600) -> CheckovReport:
    """checkov's CloudFormation checks over the templates, offline."""
    files = [arg for path in paths for arg in ("-f", str(path))]
    done = subprocess.run(  # noqa: S603 -- a fixed argv, no shell
        [  # noqa: S607 -- uvx from PATH, as CI and developers install uv
            "uvx",
            "--from",
            CHECKOV,
            "checkov",
            "--skip-download",
            "--framework",
            "cloudformation",
            *files,
            "-o",
            "json",
            "--compact",
        ],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if done.returncode not in (0, 1):  # 1: findings
        raise RuntimeError(f"checkov failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    runs = json.loads(done.stdout)
    report = CheckovReport()
    for run in runs if isinstance(runs, list) else [runs]:
        results = run.get("results", {})
        report.passed += len(results.get("passed_checks", []))
        for kind, into in (("failed_checks", report.failed), ("skipped_checks", report.skipped)):
            for check in results.get(kind, []):
                into.append(
                    {
                        "check_id": check["check_id"],
                        "resource": check["resource"],
                        "file": Path(check["file_path"]).name,
                        "comment": (check.get("check_result") or {}).get("suppress_comment", ""),
                    }
                )
    return report


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    paths = templates(Path(args[0] if args else "cdk.out"))
    problems = lint(paths)
    for line in problems:
        print(f"cfn-lint: {line}")
    report = checkov(paths)
    for f in report.failed:
        print(f"checkov: {f['file']} {f['resource']} {f['check_id']}")
    print(
        f"cfn-lint: {len(problems)} findings; checkov: {report.passed} passed, {len(report.failed)} failed, "
        f"{len(report.skipped)} accepted (infra/suppressions.py)"
    )
    return 1 if problems or report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
