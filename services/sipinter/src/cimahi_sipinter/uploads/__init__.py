"""Requirement documents applicants upload and attach to their applications.

The generic part (type sniffing, metadata removal, storage, size cap, claiming uploads) is
``cimahi_shared.uploads``; this package holds SIPINTER's rules: who may read an upload (the
uploader; once attached, the business's owners, the DPMPTSP officers of the application's area and
admins, officers' and admins' reads logged), attaching uploads to an application by requirement
code, and which mandatory documents an application still lacks.
"""
