"""moto's own server (moto.server.main) with two changes, both made here without touching moto's files:

1. No werkzeug access log line per request. Under load that log costs moto about a seventh of its CPU
   (formatting and writing a line for every request); errors are still logged.
2. DynamoDB writes are atomic, as on real DynamoDB. moto serves requests on threads and its writes are
   not: a TransactWriteItems deep-copies every table it touches, and when it is cancelled (a condition
   failed) it restores that copy, wiping whatever other requests wrote to the table in between. The
   reservation service keeps its ledger and reservation streams in one table, so a cancelled transaction
   from one worker could erase a table hold another worker had just written and been told was stored: a
   double booking that real DynamoDB can never produce (seen once in the e2e test of 30 concurrent
   requests, 2026-12-01). Every write operation (PutItem, UpdateItem, DeleteItem, TransactWriteItems;
   BatchWriteItem goes through the first two) therefore takes one lock. moto is bound by Python's GIL
   anyway, so this costs little throughput.

Run by scripts/stack.mjs with the project venv's Python.
"""
import functools
import logging
import sys
import threading

from moto.dynamodb.models import DynamoDBBackend
from moto.server import main

# werkzeug only installs its INFO-level access log when the logger has no level of its own
logging.getLogger("werkzeug").setLevel(logging.WARNING)

_dynamodb_writes = threading.RLock()  # re-entrant: a transaction's items go through put_item & co.


def _atomic(method):
    @functools.wraps(method)
    def locked(*args, **kwargs):
        with _dynamodb_writes:
            return method(*args, **kwargs)

    return locked


for _name in ("put_item", "update_item", "delete_item", "transact_write_items"):
    setattr(DynamoDBBackend, _name, _atomic(getattr(DynamoDBBackend, _name)))

if __name__ == "__main__":
    main(sys.argv[1:])
