"""moto's own server (moto.server.main, unchanged) without werkzeug's access log line per request.

Under load that log costs moto about a seventh of its CPU (formatting and writing a line for every
request); errors are still logged. Run by scripts/stack.mjs with the project venv's Python.
"""
import logging
import sys

from moto.server import main

# werkzeug only installs its INFO-level access log when the logger has no level of its own
logging.getLogger("werkzeug").setLevel(logging.WARNING)

if __name__ == "__main__":
    main(sys.argv[1:])
