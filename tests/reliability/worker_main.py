"""`kesu worker` on a clock some seconds ahead: the worker a test starts after a killed one's leases ran out.

    python -m tests.reliability.worker_main --ahead 180 [--interval 0.05]

Settings come from the environment, as for `kesu worker`; the loop is the real ``Worker.run``.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Settings
from bot.web import Worker
from bot.wiring import Kesu, build


@dataclass
class Ahead(Kesu):
    """Kesu whose clock runs ``ahead`` of the real one."""

    ahead: timedelta = timedelta(0)

    def now(self) -> datetime:
        return super().now() + self.ahead


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ahead", type=float, required=True, help="seconds ahead of the real clock")
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    kesu = Ahead(**vars(build(Settings())), ahead=timedelta(seconds=args.ahead))
    Worker(kesu, interval=args.interval).run()


if __name__ == "__main__":
    main()
