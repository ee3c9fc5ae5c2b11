"""Unit tests of the test tooling (no emulator needed)."""

import helpers

OUTPUT = """
PLAY [x] ***********************************************************************

TASK [y] ***********************************************************************
ok: [dev-main]

PLAY RECAP *********************************************************************
dev-main                   : ok=3    changed=1    unreachable=0    failed=0    skipped=2    rescued=0    ignored=0
prod-main                  : ok=5    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0

"""


def test_parse_recap():
    recap = helpers.parse_recap(OUTPUT)
    assert recap == {
        "dev-main": dict(ok=3, changed=1, unreachable=0, failed=0, skipped=2, rescued=0, ignored=0),
        "prod-main": dict(ok=5, changed=0, unreachable=0, failed=1, skipped=0, rescued=0, ignored=0),
    }


def test_parse_recap_colour_and_empty():
    assert helpers.parse_recap("no recap here") == {}
    coloured = "PLAY RECAP ***\n\x1b[0;33mdev-main\x1b[0m : \x1b[0;32mok=1\x1b[0m changed=0 failed=0\n"
    assert helpers.parse_recap(coloured) == {"dev-main": {"ok": 1, "changed": 0, "failed": 0}}
