"""The one door to GitHub: PyGithub underneath, evidence out, our own errors only.

- :mod:`.transport`: session, auth, retries, rate limits, redirects, cost; the only module
  that imports PyGithub and requests;
- :mod:`.retries`: when to try again and for how long (pure decisions, one bounded loop);
- :mod:`.repository`, :mod:`.estate`, :mod:`.runs`, :mod:`.artifacts`: the endpoints, one
  module per family (:mod:`.estate`: organisation and enterprise runners, runner groups);
- :mod:`.downloads`: where a streamed download goes; :mod:`.decode`: JSON into evidence (pure);
- :mod:`.messages`: what a user reads when GitHub says no;
- :mod:`.inputs`: the checks of repository, API URL and token that Config does not make;
- :mod:`.client`: the :class:`Gateway` the phases call.
"""

from validator.gateway.client import Gateway
from validator.gateway.decode import (
    artifact_from_json,
    is_hosted_runner,
    job_from_json,
    run_from_json,
    runner_from_json,
    seconds_between,
    step_from_json,
    workflow_from_json,
)
from validator.gateway.repository import Owner
from validator.gateway.retries import rate_limit_wait
from validator.gateway.runs import DispatchMark

__all__ = [
    "DispatchMark",
    "Gateway",
    "Owner",
    "artifact_from_json",
    "is_hosted_runner",
    "job_from_json",
    "rate_limit_wait",
    "run_from_json",
    "runner_from_json",
    "seconds_between",
    "step_from_json",
    "workflow_from_json",
]
