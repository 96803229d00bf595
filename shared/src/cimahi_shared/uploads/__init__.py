"""Citizens' uploads, the generic part: what a file is, where its bytes live, how it is received.

Services keep their own ``Upload`` model (built on ``UploadColumns``), their own rules of who may
read an upload and what it may be attached to; this package holds what does not depend on them:

* ``content``: PDF/JPEG/PNG decided from the bytes, image metadata removed;
* ``storage``: the bytes under a random key (local directory, atomic writes);
* ``receiving``: multipart file read with a size cap, checked, cleaned and hashed;
* ``columns``: the declarative mixin with the columns every upload table has;
* ``records``: storing a new upload with its row, deleting one, claiming uploads for a target;
* ``http``: the storage dependency, the download response and the multipart body limit.

Using it needs ``pillow`` and ``python-multipart`` (dependencies of the services that accept
uploads, not of every user of ``cimahi_shared``).
"""
