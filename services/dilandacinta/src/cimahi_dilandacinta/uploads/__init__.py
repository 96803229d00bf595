"""Uploaded requirement documents (content-checked, size-capped, owner and officers only).

The generic part (type sniffing, metadata removal, storage, size cap) is ``cimahi_shared.uploads``;
this package holds DILANDACINTA's rules: who may read an upload, attaching uploads to an
application by requirement code, and the access log of officers' reads.
"""
