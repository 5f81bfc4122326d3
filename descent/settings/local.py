"""Settings for a developer's machine (`make run`, `manage.py`): DEBUG on unless DEBUG=0."""

from descent.settings.base import *  # noqa: F403
from descent.settings.base import env_bool

DEBUG = env_bool("DEBUG", True)
