"""The second network layer: SMTP sessions with MX hosts and HTTPS fetches, asked once per run.

Built like :mod:`mailtests.dnslayer`: every probe is made once per run (concurrent askers
wait for the one in flight), on a bounded pool of threads, and ``offline`` makes a probe
an error that names it.
"""

from .https import Fetch
from .layer import ProbeFailure, ProbeLayer
from .smtp import SmtpSession

__all__ = ["Fetch", "ProbeFailure", "ProbeLayer", "SmtpSession"]
