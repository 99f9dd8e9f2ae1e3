"""Whether a runner is ARM64, and whether a job ran on ARM64: one answer, and its proof.

The architecture comes from the machine, never from a label someone typed:
- a self-hosted runner's ``read-only`` architecture label, set by the runner application;
- the runner-context line a job prints into its own log (:data:`CONTEXT_STEP`):
  ``runner.arch`` from the runner process and ``uname -m`` from the machine must agree,
  which also catches an x86-64 runner executing aarch64 binaries under qemu-user;
- the "Runner Image" section GitHub writes at the top of a GitHub-hosted job's log, only for
  GitHub's own images named exactly (:data:`HOSTED_ARM64_IMAGES`): a larger runner's custom
  image is named by its owner, so ``ubuntu-22.04-arm64-cross`` proves nothing.

Requested labels (``runs-on``) and custom labels are never proof. Any source saying "not
ARM64" wins over any saying "ARM64"; with no source the answer is ``unknown``, never yes.
Pure functions; the phases fetch what they read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from validator.evidence import Job, Runner, RunnerContext, RunnerLabel
from validator.labels import ARCHITECTURE_LABELS, architecture_named

Answer = Literal["yes", "no", "unknown"]

# The one-line step that proves a job's architecture from its own log (see docs/ci/TRUST.md).
CONTEXT_STEP = 'echo "validate-arm64: runner.arch=${{ runner.arch }} machine=$(uname -m)"'
_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z ?")
_CONTEXT = re.compile(r"validate-arm64: runner\.arch=([A-Za-z0-9_]+) machine=([A-Za-z0-9_-]+)")
_ARM64_MACHINES = frozenset({"aarch64", "arm64", "aarch64_be", "armv8b", "armv8l"})
# GitHub's own hosted images, as the log's "Runner Image" section names them (``Image: NAME``),
# from docs.github.com "GitHub-hosted runners reference" and actions/partner-runner-images.
HOSTED_ARM64_IMAGES = frozenset(
    {"ubuntu-24.04-arm", "ubuntu-22.04-arm", "ubuntu-26.04-arm", "windows-11-arm"}
)
HOSTED_X64_IMAGES = frozenset(
    {
        *(f"ubuntu-{v}" for v in ("20.04", "22.04", "24.04", "26.04")),
        *(f"windows-{v}" for v in ("2019", "2022", "2025")),
    }
)


@dataclass(frozen=True, kw_only=True)
class Arm64Proof:
    """Whether something is ARM64 (``yes``/``no``/``unknown``), and a sentence saying how."""

    answer: Answer
    proof: str

    @property
    def proven(self) -> bool:
        return self.answer == "yes"


def read_only_architecture(labels: Iterable[RunnerLabel]) -> str | None:
    """The architecture the runner application set (``ARM64``, ``X64`` ...), if any."""
    for label in labels:
        if label.type == "read-only" and label.name.casefold() in ARCHITECTURE_LABELS:
            return ARCHITECTURE_LABELS[label.name.casefold()]
    return None


def misleading_labels(labels: Iterable[RunnerLabel]) -> tuple[str, ...]:
    """Custom labels that name an architecture other than the runner's read-only one."""
    labels = tuple(labels)
    actual = read_only_architecture(labels)
    if actual is None:
        return ()
    return tuple(
        label.name
        for label in labels
        if label.type != "read-only" and architecture_named(label.name) not in (None, actual)
    )


def _from_labels(who: str, labels: tuple[RunnerLabel, ...]) -> Arm64Proof | None:
    arch = read_only_architecture(labels)
    if arch is None:
        return None
    if arch == "ARM64":
        return Arm64Proof(answer="yes", proof=f"{who} has the read-only architecture label `ARM64`")
    custom = misleading_labels(labels)
    typed = f", although a custom label says `{custom[0]}`" if custom else ""
    return Arm64Proof(
        answer="no", proof=f"{who} has the read-only architecture label `{arch}`{typed}"
    )


def runner_is_arm64(runner: Runner) -> Arm64Proof:
    """Whether a registered runner is ARM64, from its read-only architecture label."""
    found = _from_labels(f"runner `{runner.name}`", runner.labels)
    if found is not None:
        return found
    custom = [x.name for x in runner.labels if architecture_named(x.name) == "ARM64"]
    said = f" (custom label `{custom[0]}` is not proof)" if custom else ""
    return Arm64Proof(
        answer="unknown",
        proof=f"runner `{runner.name}` has no read-only architecture label{said}",
    )


def _from_context(ctx: RunnerContext) -> list[Arm64Proof]:
    found: list[Arm64Proof] = []
    if ctx.arch is not None:
        machine = (ctx.machine or "").casefold()
        line = f"its log says runner.arch={ctx.arch} machine={ctx.machine}"
        if ctx.arch.upper() == "ARM64" and machine in _ARM64_MACHINES:
            found.append(Arm64Proof(answer="yes", proof=line))
        elif ctx.arch.upper() == "ARM64":
            found.append(Arm64Proof(answer="no", proof=f"{line}: the machine is not aarch64"))
        elif machine in _ARM64_MACHINES:
            found.append(
                Arm64Proof(answer="no", proof=f"{line}: an aarch64 emulator on a {ctx.arch} runner")
            )
        else:
            found.append(Arm64Proof(answer="no", proof=line))
    if ctx.image is not None:
        found.append(hosted_image_is_arm64(ctx.image))
    return found


def hosted_image_is_arm64(image: str) -> Arm64Proof:
    """Whether a hosted job's image is ARM64: only GitHub's own images, by their exact name."""
    if image in HOSTED_ARM64_IMAGES:
        return Arm64Proof(answer="yes", proof=f"GitHub-hosted ARM64 image `{image}`")
    if image in HOSTED_X64_IMAGES:
        return Arm64Proof(answer="no", proof=f"GitHub-hosted image `{image}`")
    return Arm64Proof(
        answer="unknown",
        proof=f"hosted image `{image}` is not one of GitHub's own images (its name is not proof)",
    )


def job_ran_on_arm64(job: Job) -> Arm64Proof:
    """Whether ``job`` ran on ARM64: the runner's read-only label, or the job's own log."""
    if not job.runner_name:
        return Arm64Proof(answer="unknown", proof=f"job `{job.name}` was never picked up")
    found: list[Arm64Proof] = []
    if job.runner_labels is not None:
        by_labels = _from_labels(f"runner `{job.runner_name}`", job.runner_labels)
        if by_labels is not None:
            found.append(by_labels)
    if job.runner_context is not None:
        found += _from_context(job.runner_context)
    against = [p for p in found if p.answer == "no"]
    if against:
        return Arm64Proof(answer="no", proof="; ".join(p.proof for p in against))
    proven = [p for p in found if p.proven]
    if proven:
        return Arm64Proof(answer="yes", proof="; ".join(p.proof for p in proven))
    unsure = [p.proof for p in found if p.answer == "unknown"]
    if unsure:
        return Arm64Proof(answer="unknown", proof=f"`{job.name}`: {'; '.join(unsure)}")
    seen = (
        "its runner's labels could not be read"
        if job.runner_labels is None
        else "its runner has no read-only architecture label"
    )
    log = (
        "its log was not read"
        if job.runner_context is None
        else "its log has no runner-context line"
    )
    return Arm64Proof(
        answer="unknown", proof=f"`{job.name}` on `{job.runner_name}`: {seen} and {log}"
    )


def context_from_log(text: str) -> RunnerContext:
    """The runner-context line(s) and hosted runner image a job log holds (pure).

    Several context lines that disagree keep the first non-ARM64 one, so that a
    disagreement can only count against ARM64.
    """
    arch = machine = image = None
    in_image = False
    for raw in text.splitlines():
        line = _STAMP.sub("", raw).strip()
        if line.startswith("##[group]"):
            in_image = line == "##[group]Runner Image"
            continue
        if line.startswith("##[endgroup]"):
            in_image = False
            continue
        if in_image and line.startswith("Image:") and image is None:
            image = line.removeprefix("Image:").strip() or None
            continue
        m = _CONTEXT.fullmatch(line)
        if m is None:
            continue
        if arch is None or (arch.upper() == "ARM64" and machine in _ARM64_MACHINES):
            arch, machine = m.group(1), m.group(2)
    return RunnerContext(arch=arch, machine=machine, image=image)
