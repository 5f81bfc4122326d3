"""`descent` is a client: importing it loads no Django, Celery or Channels."""

import json
import subprocess
import sys

FORBIDDEN = {"django", "celery", "channels", "rest_framework", "challenges", "community",
             "workers"}


def loaded_top_level_modules(statement: str) -> set[str]:
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    return {name.split(".")[0] for name in json.loads(result.stdout)}


def test_importing_the_cli_loads_no_web_or_worker_code():
    loaded = loaded_top_level_modules("import descent.cli")
    assert not loaded & FORBIDDEN, sorted(loaded & FORBIDDEN)


def test_every_cli_module_loads_without_django():
    loaded = loaded_top_level_modules(
        "import descent.cli.app, descent.cli.client, descent.cli.stream, descent.cli.config, "
        "descent.cli.render, descent.cli.reproduce, descent.cli.specs")
    assert not loaded & FORBIDDEN, sorted(loaded & FORBIDDEN)
    assert {"click", "httpx", "websockets", "rich"} <= loaded
