"""The swarm: nodes that find each other, route requests and share modules (issue in progress).

So far: :mod:`protocol.swarm.reputation`, how a node rates its peers.
"""
