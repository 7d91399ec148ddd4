"""The neurons behind the Leabra point neuron, in physical units (``emergent_py.biophysical``).

Modules (numpy only; see docs/biophysical.md):

* :mod:`.units`      emergent's normalized units <-> mV, nS, pF, ms, nA (``BioParams``)
* :mod:`.adex`       AdEx (Brette & Gerstner 2005) with the Naud et al. 2008 presets, batched Euler
* :mod:`.hh`         Hodgkin-Huxley 1952 squid axon, batched RK4
* :mod:`.analysis`   spike times, rates, ISIs, f-I curves, Naud pattern classifier
* :mod:`.rate_code`  emergent's NXX1 rate code vs its spiking unit (CCN neuron protocol)
"""
