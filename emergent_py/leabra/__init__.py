"""The native Leabra core (emergent 8.6 semantics, numpy, float32). Source: shared spec leabra.md."""
