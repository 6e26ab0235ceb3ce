"""The swarm: nodes that find each other, route requests and share modules (issue in progress).

So far: how a node rates its peers (reputation.py), the wire format between nodes (wire.py),
and how a module is fetched from peers and verified (fetching.py). See docs/swarm.md.
"""
