"""Uploads: documents citizens attach to letter requests and photos they attach to complaints."""
