"""The bad-input battery (issue 13): every case of tests/hardening_battery.py runs in a child
process, so a crash or a hang fails that one case instead of the run.

The cases share a few child processes: one runs them in order and reports each as it finishes;
when it dies (a signal: segfault, abort, out of memory) or a case exceeds CASE_TIMEOUT, the case
it was running is recorded as crashed / hung and a fresh child carries on with the next one.
"""
import json
import os
import selectors
import subprocess
import sys

import pytest

from hardening_battery import CASES, package_path

HERE = os.path.dirname(os.path.abspath(__file__))
CASE_TIMEOUT = 60.0  # seconds; a loaded 2-core machine runs each case in well under one


def _run_all(names, command=None):
    command = command or [sys.executable, os.path.join(HERE, "hardening_battery.py")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([package_path(), HERE]),
               OMP_NUM_THREADS="2")
    if env.get("PYENGINE_SANITIZED"):
        # No address-space limit under ASan (its shadow memory reserves terabytes): its own cap
        # makes an absurd malloc return null instead of being touched.
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                               ":allocator_may_return_null=1:max_allocation_size_mb=4096")
    results, todo = {}, list(names)
    while todo:
        p = subprocess.Popen([*command, *todo], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, cwd=package_path())
        sel = selectors.DefaultSelector()
        sel.register(p.stdout, selectors.EVENT_READ)
        current = None
        while True:
            if not sel.select(timeout=CASE_TIMEOUT):
                p.kill()
                results[current or todo[0]] = ("hang", f"no answer within {CASE_TIMEOUT} s")
                break
            line = p.stdout.readline()
            if not line:  # the child exited: a crash if a case was running
                p.wait()
                if current is not None:
                    err = p.stderr.read()[-1500:]
                    results[current] = ("crash", f"exit status {p.returncode}: {err}")
                break
            msg = json.loads(line)
            if "start" in msg:
                current = msg["start"]
            else:
                results[msg["name"]] = (msg["status"], msg["detail"])
                current = None
        p.kill()
        p.wait()
        p.stdout.close()
        p.stderr.close()
        todo = [n for n in todo if n not in results]
    return results


@pytest.fixture(scope="module")
def battery():
    return _run_all(sorted(CASES))


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_case(battery, name):
    status, detail = battery[name]
    code = CASES[name][0]
    assert status == "pass", f"{name}: {status}: {detail}\n  code: {code}"


def test_a_crash_fails_only_its_case():
    """The harness itself: a case that kills its process is reported as a crash, and the cases
    after it still run in a fresh child."""
    wrapper = ("import sys, hardening_battery as hb\n"
               "hb.CASES['zz_segfault'] = ('import ctypes; ctypes.string_at(0)', 'ok', None, None)\n"
               "hb.main(sys.argv[1:])\n")
    res = _run_all(["threads_zero", "zz_segfault", "threads_bool"], [sys.executable, "-c", wrapper])
    assert res["zz_segfault"][0] == "crash"
    assert res["threads_zero"][0] == "pass" and res["threads_bool"][0] == "pass"
