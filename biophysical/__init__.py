"""AdEx and Hodgkin-Huxley neurons in physical units (reached as ``emergent_py.biophysical``)."""
