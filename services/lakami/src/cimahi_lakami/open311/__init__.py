"""Open311 GeoReport v2 (JSON) over LAKAMI's public complaints."""
