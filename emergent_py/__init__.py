"""emergent_py: Leabra models as Python specs, run natively or in C++ emergent, on a laptop or a cluster."""
from .errors import BackendError, EmergentPyError, FormatError, SpecError, SubmitError
from .spec import (Full, GaussRF, GpOneToOne, GpTessel, Layer, LayerKind, Model, Network, OneToOne,
                   Patterns, Projection, RunPlan, Sel, Sheet, Tessel, TiledGpRF, UniformRandom, load_model)

__version__ = "0.1.0"

__all__ = ["Network", "Layer", "LayerKind", "Projection", "Full", "OneToOne", "UniformRandom", "Tessel",
           "GpOneToOne", "GpTessel", "TiledGpRF", "GaussRF", "Sheet",
           "Sel", "Patterns", "RunPlan", "Model", "load_model", "EmergentPyError", "SpecError",
           "FormatError", "BackendError", "SubmitError", "__version__"]
