"""The permit catalogue: every permit type DPMPTSP handles, published as a service standard."""
