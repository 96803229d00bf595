"""Letter requests (surat keterangan/pengantar) at the kelurahan."""
