"""LocalStack's own runtime (localstack.runtime.main), SNS + SQS only, on one loopback address.

    localstack-server.py --host 127.0.0.1 --port 5000 --dir <scratch dir>

Run by the stack (scripts/stack/supervise.mjs; the tests' own servers take the same command line from scripts/stack/layout.js `serverCommand`) with the project venv's
Python. The settings are LocalStack's own environment variables, set here so the command line says it all:

- SERVICES=sqs,sns and nothing else; lazy loading (the readiness probe loads SQS; SNS loads at its first
  call, in about a second). Nothing persists (no PERSISTENCE): like moto before it, SNS and SQS start
  empty and the system provisions them again; the pipeline's catch-up makes up for lost messages.
- No DNS server (DNS_ADDRESS=0: by default it answers on port 53 of every interface), no usage events
  sent anywhere (DISABLE_EVENTS=1), no certificate download (SKIP_SSL_CERT_DOWNLOAD=1).
- Host mode (OVERRIDE_IN_DOCKER=0: this may run inside a container, where LocalStack would otherwise
  listen on 0.0.0.0 and write to /var/lib/localstack) with every file under --dir (FILESYSTEM_ROOT).
- Warnings and errors only (LS_LOG=warn): its INFO log writes a line per request.

One change, made here without touching LocalStack's files: its default gateway server (twisted) creates
its TCP endpoints without an interface, so it listens on every interface whatever host GATEWAY_LISTEN
names. These servers have no authentication: the endpoints get the host GATEWAY_LISTEN names. (Its other
server, GATEWAY_SERVER=hypercorn, binds correctly but cost about twice the CPU per message here.)
"""
import argparse
import os
import runpy

parser = argparse.ArgumentParser()
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=5000)
parser.add_argument("--dir", required=True)
opts = parser.parse_args()

os.makedirs(opts.dir, exist_ok=True)
# the app's endpoint variables mean nothing to LocalStack's internal clients: keep them out
for name in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
    del os.environ[name]
os.environ.update(
    SERVICES="sqs,sns",
    STRICT_SERVICE_LOADING="1",
    EAGER_SERVICE_LOADING="0",
    GATEWAY_LISTEN=f"{opts.host}:{opts.port}",
    LOCALSTACK_HOST=f"{opts.host}:{opts.port}",
    DNS_ADDRESS="0",
    DISABLE_EVENTS="1",
    SKIP_SSL_CERT_DOWNLOAD="1",
    OVERRIDE_IN_DOCKER="0",
    FILESYSTEM_ROOT=os.path.abspath(opts.dir),
    PERSISTENCE="0",
)
os.environ.setdefault("LS_LOG", "warn")  # LS_LOG=debug in the caller's environment still works

from twisted.internet import endpoints  # noqa: E402  (after the environment: LocalStack reads it at import)

import localstack.runtime.server.twisted as twisted_server  # noqa: E402


class _LoopbackEndpoints:
    """The `endpoints` module as LocalStack's twisted server sees it: TCP4 server endpoints get the interface."""

    def __getattr__(self, name):
        return getattr(endpoints, name)

    @staticmethod
    def TCP4ServerEndpoint(reactor, port, backlog=50, interface=""):
        return endpoints.TCP4ServerEndpoint(reactor, port, backlog, interface or opts.host)


twisted_server.endpoints = _LoopbackEndpoints()

runpy.run_module("localstack.runtime.main", run_name="__main__", alter_sys=False)
