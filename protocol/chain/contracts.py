"""One deployment of MemJit, bound to a chain: the token, the registry and the rounds, each
with a typed API, and one decoder for all their events."""

from __future__ import annotations

from protocol.chain.connection import Chain
from protocol.chain.deployment import Deployment
from protocol.chain.events import EventLog
from protocol.chain.registry import Registry
from protocol.chain.rounds import Rounds
from protocol.chain.token import Token


class MemJitContracts:
    """``token`` (SWT), ``registry`` (WorkerRegistry), ``rounds`` (UtilityOracle) and
    the ``event_log`` of ``deployment`` on ``chain``."""

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.deployment = deployment
        self.event_log = EventLog(
            chain,
            {
                "SWT": deployment.swt,
                "WorkerRegistry": deployment.registry,
                "UtilityOracle": deployment.oracle,
            },
        )
        self.token = Token(chain, deployment.swt)
        self.registry = Registry(chain, deployment.registry, self.token)
        self.rounds = Rounds(chain, deployment.oracle, self.event_log)
