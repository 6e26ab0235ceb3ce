"""Support for MemJit's own tests and benchmarks, not used by the node: throwaway servers
(Redis, a js-ipfs node), pool workers in child processes, and a driver of the snarkjs CLI
(the peer our proofs are checked against). They need the checkout's tools (``npm install``,
Debian's ``redis-server``)."""
