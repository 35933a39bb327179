/**
 * Preloaded (`node --require`) into a process that must not reach the network: every TCP connection and
 * DNS lookup is refused with an error and written down (one line each) to the file NO_NETWORK_LOG names, so
 * a test can show that nothing tried, even an attempt the process swallowed. Local pipes and Unix sockets
 * (child processes, esbuild's service) are not network and stay allowed. Child processes inherit it
 * through NODE_OPTIONS. Programs that are not Node (esbuild's binary) are not covered: they are started
 * with no network-bound work here (esbuild only bundles local files).
 */
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const dns = require('node:dns');

const logFile = process.env.NO_NETWORK_LOG;

function refuse(what) {
  const line = `${process.pid} ${process.argv.slice(1, 3).join(' ')}: ${what}\n`;
  if (logFile) fs.appendFileSync(logFile, line);
  const err = new Error(`network access refused in this process (test/no-network.cjs): ${what}`);
  err.code = 'ENETUNREACH';
  return err;
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const isPath = typeof first === 'string' && Number.isNaN(Number(first)) || (first && typeof first === 'object' && typeof first.path === 'string');
  if (isPath) return connect.apply(this, args);
  const target = typeof first === 'object' && first !== null ? `${first.host ?? 'localhost'}:${first.port}` : `${args[1] ?? 'localhost'}:${first}`;
  const err = refuse(`connect ${target}`);
  process.nextTick(() => this.destroy(err));
  return this;
};

// every name lookup: the module's functions, its promises API and both Resolver classes (the MongoDB driver
// resolves SRV and TXT records with them)
const DNS_CALLS = ['lookup', 'lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveSrv', 'resolveTxt', 'resolveCname', 'resolveMx', 'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveNaptr', 'resolveCaa', 'reverse'];
function guardCallbacks(target) {
  for (const name of DNS_CALLS) {
    if (typeof target[name] !== 'function') continue;
    target[name] = function guardedDns(host, ...rest) {
      const cb = rest[rest.length - 1];
      const err = refuse(`dns ${name} ${host}`);
      if (typeof cb === 'function') process.nextTick(() => cb(err));
      else throw err;
    };
  }
}
function guardPromises(target) {
  for (const name of DNS_CALLS) {
    if (typeof target[name] !== 'function') continue;
    target[name] = async (host) => {
      throw refuse(`dns ${name} ${host}`);
    };
  }
}
guardCallbacks(dns);
guardCallbacks(dns.Resolver.prototype);
guardPromises(dns.promises);
guardPromises(dns.promises.Resolver.prototype);

// UDP too
const dgram = require('node:dgram');
for (const name of ['send', 'connect']) {
  const original = dgram.Socket.prototype[name];
  dgram.Socket.prototype[name] = function guardedDgram(...args) {
    const err = refuse(`udp ${name}`);
    const cb = args[args.length - 1];
    if (typeof cb === 'function') process.nextTick(() => cb(err));
    else throw err;
    return original === undefined ? undefined : this;
  };
}
