"""Make ``ansible_collections.cross_account.aws`` importable for unit tests.

The repository root is the collection root; a symlink under a temporary
``ansible_collections/cross_account/aws`` lets Python import it by its collection name,
next to amazon.aws from the ``ansible`` package in site-packages.
"""

import os
import sys
import tempfile

import ansible_collections

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_LINK_PARENT = os.path.join(tempfile.mkdtemp(prefix="xacct-unit-"), "ansible_collections")
os.makedirs(os.path.join(_LINK_PARENT, "cross_account"))
os.symlink(_ROOT, os.path.join(_LINK_PARENT, "cross_account", "aws"))
ansible_collections.__path__.append(_LINK_PARENT)
sys.path_importer_cache.clear()
