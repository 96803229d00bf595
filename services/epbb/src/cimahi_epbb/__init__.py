"""E-PBB of Kota Cimahi (Bapenda): property tax objects, yearly bills (SPPT), payments by channel."""
