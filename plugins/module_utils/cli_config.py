# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Line-preserving edits of an AWS CLI config file (``~/.aws/config``).

Only the keys a caller manages in the sections it names are touched; every other line -- other
profiles, other settings of a managed section, comments, blank lines, nested values, line endings --
stays byte for byte. (configparser would rewrite the whole file and drop the comments.)
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(?:[#;].*)?$")
_KEY = re.compile(r"^([^\s=#;\[][^=]*?)\s*=\s*(.*?)\s*$")


def section_name(kind: str, name: str) -> str:
    """The header text: ``profile NAME`` (``default`` for the default profile), ``sso-session NAME``."""
    if kind == "profile" and name == "default":
        return "default"
    return f"{kind} {name}"


class ConfigFile:
    def __init__(self, text: str = ""):
        self.lines = text.splitlines(keepends=True)
        if self.lines and not self.lines[-1].endswith(("\n", "\r")):
            self.lines[-1] += "\n"  # only written out when something else changes
        self.newline = "\r\n" if self.lines and self.lines[0].endswith("\r\n") else "\n"

    def text(self) -> str:
        return "".join(self.lines)

    # --- reading -------------------------------------------------------------------------------

    def _sections(self):
        """``[(name, header_index, end_index)]`` in file order (end exclusive)."""
        headers = []
        for index, line in enumerate(self.lines):
            match = _HEADER.match(line)
            if match:
                headers.append((" ".join(match.group(1).split()), index))
        return [(name, start, headers[i + 1][1] if i + 1 < len(headers) else len(self.lines)) for i, (name, start) in enumerate(headers)]

    def _find(self, section):
        for name, start, end in self._sections():
            if name == section:
                return start, end
        return None

    def _keys(self, start, end):
        """``{key: (first_line, end_line, value)}`` for the top-level keys of a section (nested lines included)."""
        keys = {}
        index = start + 1
        while index < end:
            line = self.lines[index]
            match = _KEY.match(line) if line[:1] not in (" ", "\t") else None
            if not match:
                index += 1
                continue
            first = index
            index += 1
            while index < end and self.lines[index][:1] in (" ", "\t") and self.lines[index].strip():
                index += 1  # a nested value (e.g. "s3 =\n  max_concurrent_requests = 10")
            keys.setdefault(match.group(1).strip(), (first, index, match.group(2)))
        return keys

    def has_section(self, section) -> bool:
        return self._find(section) is not None

    def values(self, section, keys) -> dict:
        """The current values of ``keys`` in ``section`` (missing keys left out)."""
        found = self._find(section)
        if not found:
            return {}
        present = self._keys(*found)
        return {key: present[key][2] for key in keys if key in present}

    def section_text(self, section) -> str:
        found = self._find(section)
        if not found:
            return ""
        block = self.lines[found[0]:found[1]]
        while block and not block[-1].strip():
            block.pop()
        return "".join(block)

    # --- writing -------------------------------------------------------------------------------

    def set(self, section, desired: dict):
        """Make the managed keys of ``section`` equal ``desired`` (a value of None removes the key).

        A missing section is appended at the end of the file. Changed keys are rewritten in place,
        new keys follow the section's last key, removed keys go with their nested lines.
        """
        nl = self.newline
        found = self._find(section)
        wanted = {k: str(v) for k, v in desired.items() if v is not None}
        if not found:
            if not wanted:
                return
            if self.lines and self.lines[-1].strip():
                self.lines.append(nl)
            self.lines.append(f"[{section}]{nl}")
            self.lines += [f"{key} = {value}{nl}" for key, value in wanted.items()]
            return
        start, end = found
        present = self._keys(start, end)
        # removals and in-place rewrites, bottom-up so indexes stay valid
        for key, (first, last, value) in sorted(present.items(), key=lambda item: -item[1][0]):
            if key not in desired:
                continue
            if key not in wanted:
                del self.lines[first:last]
            elif value != wanted[key]:
                self.lines[first:last] = [f"{key} = {wanted[key]}{nl}"]
        missing = [key for key in wanted if key not in present]
        if missing:
            start, end = self._find(section)
            keys = self._keys(start, end)
            insert_at = max((last for _first, last, _v in keys.values()), default=start + 1)
            self.lines[insert_at:insert_at] = [f"{key} = {wanted[key]}{nl}" for key in missing]

    def remove(self, section, keys):
        """Remove the managed ``keys`` of ``section``; the header too when no key is left in it.

        Comments inside the section are kept (they may say something about the file)."""
        found = self._find(section)
        if not found:
            return
        self.set(section, {key: None for key in keys})
        start, end = self._find(section)
        if self._keys(start, end):
            return
        kept = [line for line in self.lines[start + 1:end] if line.strip()]  # comments: no key is left
        if end == len(self.lines):
            # the last section: also drop the blank line that separated it (what set() added with it)
            cut = start - 1 if start > 0 and not self.lines[start - 1].strip() else start
            self.lines[cut:end] = kept
        else:
            self.lines[start:end] = kept + ([self.newline] if kept else [])
        if not any(line.strip() for line in self.lines):
            self.lines = []
