"""SIPINTER of Kota Cimahi (DPMPTSP): businesses, the permit catalogue, permit applications."""
