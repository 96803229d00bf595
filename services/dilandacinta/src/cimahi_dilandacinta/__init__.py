"""DILANDACINTA: the population register and population administration documents (Disdukcapil)."""
