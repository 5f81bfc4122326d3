"""`import descent.engine` stays numpy-only: the web side and the worker rely on it."""

import json
import subprocess
import sys

FORBIDDEN = ("django", "celery", "channels", "sklearn", "matplotlib", "rich")


def loaded_top_level_modules(statement):
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    return {name.split(".")[0] for name in json.loads(result.stdout)}


def test_importing_the_engine_loads_no_web_or_heavy_packages():
    loaded = loaded_top_level_modules("import descent.engine")
    assert not loaded & set(FORBIDDEN), sorted(loaded & set(FORBIDDEN))


def test_loading_a_synthetic_dataset_does_not_import_sklearn():
    loaded = loaded_top_level_modules(
        "import descent.engine as de; de.load_dataset('spirals'); de.load_dataset('linear')")
    assert "sklearn" not in loaded

