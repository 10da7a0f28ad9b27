"""Runs Ralph's LRS API on 127.0.0.1 (started by cmi5_lms.RalphLrs with the Python of the
Ralph venv, .venv-lrs; not imported by the tests themselves).

Usage: python ralph_lrs.py PORT (configuration from the RALPH_* environment variables).

Ralph 5.1's file-system backend writes the statements of each request as a new file under
the one name it reads from, so it refuses the second request ("already exists and
overwrite is not allowed"). Here it appends to that file instead, an operation its
write() supports (BaseOperationType.APPEND); validation, storage, queries and conflicts
are Ralph's own.
"""

import sys

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

if __name__ == "__main__":
    uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
