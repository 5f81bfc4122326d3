"""Settings for the load benches (`make bench-load`, `make bench-cluster`): production's.

Production's settings (DEBUG off, a real SECRET_KEY and ALLOWED_HOSTS from the environment),
with two changes that only a bench needs, made here and nowhere else:

- the per-address limit on sign-up and log-in (`auth`) and the per-user limit on submissions
  are raised to `BENCH_THROTTLE_RATE` (default 100000/min): a class of hundreds is played from
  one address, and the bench measures the servers, not the throttles;
- no redirect to HTTPS: benches speak plain HTTP on loopback or their private test network.

The challenges' daily quotas are rows, not settings: the bench's own challenge in the bench's
own database gets a quota of at least the runs each bench builder submits (bench.load.seed).
"""

import os

from descent.settings.production import *  # noqa: F403
from descent.settings.production import REST_FRAMEWORK

BENCH_THROTTLE_RATE = os.environ.get("BENCH_THROTTLE_RATE", "100000/min")
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "auth": BENCH_THROTTLE_RATE,
        "submissions": BENCH_THROTTLE_RATE,
    },
}
SECURE_SSL_REDIRECT = False
