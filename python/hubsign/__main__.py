"""``python -m hubsign`` and the ``hubsign`` command the wheel installs: the hubsign command
line, run in-process by the native module (the same program as the standalone binary)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Runs the hubsign command line with this process's arguments and exits with its status
    (0 done, 1 verification failed, 2 error; 130 on Ctrl-C, as a shell reports SIGINT)."""
    from . import _native

    # The `hubsign` script beside this Python is what users run (also for `python -m hubsign`):
    # `install-hf-extension` records it, not the interpreter running it.
    script = os.path.join(os.path.dirname(sys.executable), "hubsign")
    invoked = os.path.abspath(sys.argv[0]) if sys.argv and os.path.basename(sys.argv[0]) == "hubsign" else None
    program = invoked or (script if os.path.isfile(script) else None)
    try:
        status = _native.main(["hubsign", *sys.argv[1:]], program)
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        status = 130
    sys.exit(status)


if __name__ == "__main__":
    main()
