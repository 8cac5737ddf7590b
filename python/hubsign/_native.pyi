"""The native module: the hubsign command line, run in-process with the GIL released."""

from typing import Optional, Sequence, Tuple

__version__: str
# Whether this module was built without optimisations (the benchmarks refuse one).
debug_build: bool

def main(argv: Sequence[str], program: Optional[str] = None) -> int:
    """Runs the hubsign command line with ``argv`` (program name first), writing to this
    process's stdout and stderr; returns the exit status (0 done, 1 verification failed,
    2 error). ``program`` is the file users run (the ``hubsign`` script), recorded where the CLI
    records its own executable (``install-hf-extension``). Ctrl-C cancels the command and
    raises ``KeyboardInterrupt``."""

def run(argv: Sequence[str], env: Sequence[Tuple[str, str]], progress: bool) -> Tuple[int, str]:
    """Runs one command with ``argv`` (program name first, ``--json`` given) and returns its exit
    status and the JSON it wrote (captured, not printed). ``env`` holds values read before the
    process environment's, never written to it; ``progress`` draws bars on a terminal's stderr.
    Ctrl-C cancels the command (a pull drops its staging: nothing is cached) and raises
    ``KeyboardInterrupt`` once it has stopped; a second Ctrl-C raises at once."""
