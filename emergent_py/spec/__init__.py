"""Model specs: network, parameter sheets, patterns, run plan (no engine imports here)."""
from .fields import get_path, leaf_fields, to_dict, from_dict, with_path
from .loader import load_model
from .model import Model, Resolved
from .network import Full, Layer, LayerKind, Network, OneToOne, Projection, UniformRandom
from .params import BiasSpec, ConSpec, LayerSpec, NetworkSpec, UnitSpec
from .patterns import Patterns
from .prjns import GaussRF, GpOneToOne, GpTessel, Tessel, TiledGpRF
from .scalar_val import ScalarValLayerSpec
from .runplan import RunPlan
from .sheet import Sel, Sheet

__all__ = ["Model", "Resolved", "Network", "Layer", "LayerKind", "Projection", "Full", "OneToOne",
           "UniformRandom", "Tessel", "GpOneToOne", "GpTessel", "GaussRF", "TiledGpRF", "Sheet", "Sel", "Patterns", "RunPlan", "UnitSpec", "LayerSpec", "ScalarValLayerSpec", "ConSpec",
           "BiasSpec", "NetworkSpec", "load_model", "leaf_fields", "get_path", "with_path",
           "to_dict", "from_dict"]
