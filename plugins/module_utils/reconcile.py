# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared read / compare / apply mechanism of every resource module.

A module reads the current state, then tells a ``Plan`` what it wants: ``create``, ``delete``
or, for an existing resource, one ``field`` per independently writable setting. The plan
compares each field after normalisation, queues a write only for what differs, and at
``finish`` either applies the writes in order or, in check mode, only reports them. The
result's ``changed``, ``changes`` and ``diff`` come from the same comparison, so check mode
predicts exactly what a real run does and a converged run makes no write call.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from . import policy as policy_doc
from .aws import ALREADY_EXISTS_CODES

ABSENT: dict = {}


def _identity(value):
    return value


class Plan:
    def __init__(self, module, partition: str = "aws"):
        self.module = module
        self.partition = partition
        self.before: dict = {}
        self.after: dict = {}
        self._writes: list = []  # (name, callable) in the order they must run

    @property
    def changes(self) -> list[str]:
        return [write[0] for write in self._writes]

    def field(self, name: str, current, desired, apply, normalise=_identity, show=None):
        """Compare one setting; queue ``apply()`` when it differs.

        ``normalise`` maps both sides to the comparable form; ``show`` to what the diff shows
        (defaults to the normalised form). ``desired is None`` means "not managed": skipped.
        """
        if desired is None:
            return
        show = show or normalise
        self.before[name] = show(current)
        self.after[name] = show(desired)
        if normalise(current) != normalise(desired):
            self._writes.append((name, apply))

    def policy(self, name: str, current, desired, apply):
        """A policy document field: compared semantically, shown as sorted, pretty JSON
        (external ids as fingerprints).

        A principal that AWS shows as a unique id (``AROA...``: the principal was deleted, and
        perhaps recreated under the same name) never equals its ARN, so the field is rewritten;
        the module also warns, naming the unique ids, because the principal must exist again
        for the rewrite to succeed.
        """
        if desired is not None:
            for unique_id in policy_doc.unique_id_principals(current):
                self.module.warn(
                    f"{name}: the current document names {unique_id}, the unique id of a deleted principal; "
                    "restoring the desired principals (ARN form)"
                )
        self.field(name, current, desired, apply, normalise=self.comparable, show=self.shown)

    def comparable(self, document):
        return policy_doc.normalize(document, self.partition, fold_case=True)

    def shown(self, document):
        return policy_doc.redact_condition(policy_doc.normalize(document, self.partition))

    def tags(self, current: dict | None, desired: dict | None, purge: bool, tag=None, untag=None, replace=None):
        """Resource tags: ``tag(dict)`` and ``untag(list)`` write only the keys that differ.

        For APIs that can only write the whole tag set (S3 ``PutBucketTagging``), pass
        ``replace(dict)`` instead: it gets the complete resulting set (empty: remove all).
        """
        if desired is None:
            return
        current = current or {}
        to_set, to_unset = compare_aws_tags(current, desired, purge)
        self.before["tags"] = current
        self.after["tags"] = {k: v for k, v in current.items() if k not in to_unset} | {k: str(v) for k, v in to_set.items()}
        if to_set or to_unset:
            final = dict(self.after["tags"])

            def apply():
                if replace is not None:
                    replace(final)
                    return
                if to_unset:
                    untag(to_unset)
                if to_set:
                    tag(to_set)

            self._writes.append(("tags", apply))

    def create(self, desired_view: dict, apply):
        """The resource does not exist: one write creates it with everything desired."""
        self.before = dict(ABSENT)
        self.after = dict(desired_view)
        self._writes.append(("create", apply))

    def delete(self, current_view: dict, apply):
        self.before = dict(current_view)
        self.after = dict(ABSENT)
        self._writes.append(("delete", apply))

    def step(self, name: str, apply):
        """An extra write that must run (for example re-enabling a key pending deletion)."""
        self._writes.append((name, apply))

    def _create(self, apply):
        """Run the create write. When AWS answers "already exists", another run created the resource
        between this run's read and its write (two deploys at the same moment): fail with a message
        that says so instead of a bare API error. Nothing after the create was written; a rerun reads
        the resource and converges on it."""
        try:
            apply()
        except Exception as error:  # pylint: disable=broad-except
            if not isinstance(error, is_boto3_error_code(list(ALREADY_EXISTS_CODES), e=error)):
                raise
            code = error.response.get("Error", {}).get("Code")
            self.module.fail_json(
                msg=f"Another run created this resource at the same time ({code}) between this run's read and its create; "
                "this run changed nothing else. Run again: the rerun converges on the existing resource.",
                error_code=code,
                changed=False,
            )

    def finish(self, **result) -> dict:
        """Apply (or, in check mode, only predict) the queued writes and build the result."""
        if not self.module.check_mode:
            for name, apply in self._writes:
                if name == "create":
                    self._create(apply)
                else:
                    apply()
        result["changed"] = bool(self._writes)
        result["changes"] = self.changes
        if self.module._diff:
            result["diff"] = {"before": self.before, "after": self.after}
        return result
