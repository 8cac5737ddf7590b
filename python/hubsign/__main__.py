"""``python -m hubsign`` and the ``hubsign`` command the wheel installs: the hubsign command
line, run in-process by the native module (the same program as the standalone binary)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Runs the hubsign command line with this process's arguments and exits with its status
    (0 done, 1 verification failed, 2 error; 130 on Ctrl-C, as a shell reports SIGINT)."""
    from . import _native

    program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "hubsign"
    if program in ("__main__.py", "-m", "-c") or program.startswith("python"):
        program = "hubsign"
    try:
        status = _native.main([program, *sys.argv[1:]])
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        status = 130
    sys.exit(status)


if __name__ == "__main__":
    main()
