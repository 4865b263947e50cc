import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def run_cli(capsys):
    """Run the ``attunement`` command in-process: ``run_cli(*args) -> (exit code, out, err)``."""
    from attunement.cli import main

    def run(*args):
        with pytest.raises(SystemExit) as exc:
            main(list(map(str, args)))
            raise SystemExit(0)
        out = capsys.readouterr()
        return exc.value.code or 0, out.out, out.err

    return run
