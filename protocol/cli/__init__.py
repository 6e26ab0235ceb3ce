"""The ``memjit`` operator command line."""
