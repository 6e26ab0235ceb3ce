"""The swarm: MemJit nodes that find each other over a Kademlia DHT (py-libp2p), send requests
to nodes serving a capability, and share worker modules by CID, verified.

node.py (the libp2p node and its protocols), service.py (the node inside a MemJit node),
fetching.py, reputation.py, shelf.py, wire.py, streams.py, keys.py. See docs/swarm.md.
"""
