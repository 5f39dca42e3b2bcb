"""Build: load and check the sources, derive edges, run the gate (SHACL, QC, OWL), write out/."""
