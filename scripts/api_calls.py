#!/usr/bin/env python3
"""Count the AWS API calls of every task of a converged deploy, and fail on any write.

    EMULATOR_PORT=4566 .venv/bin/python scripts/api_calls.py [-i inventory/] [--playbook playbooks/deploy.yml]
                                                            [--converge] [--limit HOSTS] [--json FILE]

Runs the playbook with the ``ansible.posix.json`` stdout callback and reads the ``api_calls`` that every
cross_account.aws module returns (each AWS call it made, ``service:Operation``, retries included). Prints one
row per task and host (reads, writes, the calls) and a summary per module, then exits

    0  when no task changed anything and no cross_account.aws module made a write call,
    1  when a task changed something or a module made a write call (they are listed),
    2  when the playbook failed.

A call is a read when its operation starts with Get, Describe, List, Head, Lookup, or is a read-only check
(Validate, Simulate, Check, Search); everything else is a write.
``--converge`` runs the playbook once before the measured run (for an environment that is not deployed yet).
Tasks of other collections (the verification role's amazon.aws tasks: the developer session, the role
assumption, the verification upload, reads) do not report their calls; they are listed as not counted.

Nothing here talks to real AWS unless the inventory does: the project inventory points at the local emulator.
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Operations that change nothing: reads, and the read-only checks (access-analyzer ValidatePolicy, IAM Simulate*).
READ = re.compile(r"^[a-z0-9-]+:(Get|Describe|List|Head|Lookup|Validate|Simulate|Check|Search)[A-Za-z]*$")
OURS = "cross_account.aws."


def run(playbook, inventory, limit, env, json_out):
    cmd = [os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), playbook, "-i", inventory]
    if not os.path.exists(cmd[0]):
        cmd[0] = "ansible-playbook"
    if limit:
        cmd += ["--limit", limit]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if json_out is None:
        return proc, None
    try:
        return proc, json.loads(proc.stdout)
    except ValueError:
        return proc, None


def rows_of(doc):
    rows = []
    for play in doc.get("plays", []):
        for task in play.get("tasks", []):
            name = task["task"]["name"].split(" : ", 1)[-1]
            name = name if len(name) <= 64 else name[:61] + "..."
            for host, result in task.get("hosts", {}).items():
                action = result.get("action") or ""
                if result.get("skipped"):
                    continue
                calls = result.get("api_calls")
                rows.append(
                    {
                        "host": host,
                        "task": name,
                        "module": action,
                        "changed": bool(result.get("changed")),
                        "failed": bool(result.get("failed")),
                        "calls": list(calls) if isinstance(calls, list) else None,
                    }
                )
    return rows


def summarise(calls):
    counts = collections.Counter(calls)
    return ", ".join(f"{c}" + (f" x{n}" if n > 1 else "") for c, n in counts.items())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("-i", "--inventory", default=os.path.join(ROOT, "inventory"))
    parser.add_argument("--playbook", default=os.path.join(ROOT, "playbooks", "deploy.yml"))
    parser.add_argument("--limit")
    parser.add_argument("--converge", action="store_true", help="run the playbook once before the measured run")
    parser.add_argument("--json", dest="json_file", help="also write the rows as JSON to this file")
    args = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("ANSIBLE_CONFIG", os.path.join(ROOT, "ansible.cfg"))
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0")
    if args.converge:
        first, _json = run(args.playbook, args.inventory, args.limit, dict(env, ANSIBLE_STDOUT_CALLBACK="default"), None)
        if first.returncode != 0:
            print(first.stdout[-4000:], file=sys.stderr)
            print(f"api_calls: the converging run failed (rc={first.returncode})", file=sys.stderr)
            return 2
    env.update(ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_JSON_INDENT="0")
    proc, doc = run(args.playbook, args.inventory, args.limit, env, True)
    if doc is None:
        print(proc.stdout[-4000:], proc.stderr[-4000:], file=sys.stderr)
        print(f"api_calls: could not read the playbook's JSON output (rc={proc.returncode})", file=sys.stderr)
        return 2
    rows = rows_of(doc)
    if args.json_file:
        with open(args.json_file, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=1)

    width = max([len(r["task"]) for r in rows] + [4])
    print(f"{'host':<10} {'task':<{width}} {'reads':>5} {'writes':>6}  calls")
    offenders, not_counted, per_module = [], [], collections.defaultdict(list)
    for row in rows:
        if row["calls"] is None:
            if not row["module"].startswith("ansible.builtin.") and row["module"] != "":
                not_counted.append(row)
            if row["changed"]:
                offenders.append(f"{row['host']}: {row['task']} reported changed")
            continue
        reads = [c for c in row["calls"] if READ.match(c)]
        writes = [c for c in row["calls"] if not READ.match(c)]
        per_module[row["module"]].append(row["calls"])
        print(f"{row['host']:<10} {row['task']:<{width}} {len(reads):>5} {len(writes):>6}  {summarise(row['calls'])}")
        if writes:
            offenders.append(f"{row['host']}: {row['task']} wrote {', '.join(writes)}")
        if row["changed"]:
            offenders.append(f"{row['host']}: {row['task']} reported changed")
    print()
    print("per module (the calls of each task):")
    for module in sorted(per_module):
        for calls in sorted({tuple(c) for c in per_module[module]}):
            reads = len([c for c in calls if READ.match(c)])
            print(f"  {module:<40} {reads:>2} reads {len(calls) - reads:>2} writes  {summarise(calls)}")
    if not_counted:
        print()
        print("not counted (modules of other collections do not report their calls):")
        for row in not_counted:
            print(f"  {row['host']:<10} {row['task']} ({row['module']})")
    total_reads = sum(len([c for c in r["calls"] if READ.match(c)]) for r in rows if r["calls"])
    total_writes = sum(len([c for c in r["calls"] if not READ.match(c)]) for r in rows if r["calls"])
    print()
    print(f"total: {total_reads} reads, {total_writes} writes by cross_account.aws modules")
    failed = [r for r in rows if r["failed"]]
    if proc.returncode != 0 or failed:
        print(f"api_calls: the playbook failed (rc={proc.returncode}): " + "; ".join(f"{r['host']}: {r['task']}" for r in failed),
              file=sys.stderr)
        return 2
    if offenders:
        print("api_calls: the deploy is not converged:\n  " + "\n  ".join(offenders), file=sys.stderr)
        return 1
    print("api_calls: converged, no write call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
