"""After a pytest-benchmark run, print numpy/pyengine and torch/pyengine ratios per group."""


def pytest_terminal_summary(terminalreporter, config):
    session = getattr(config, "_benchmarksession", None)
    if session is None or not getattr(session, "benchmarks", None):
        return
    groups = {}
    for b in session.benchmarks:
        impl = b.extra_info.get("impl")
        if impl and b.stats is not None:
            groups.setdefault(b.group, {})[impl] = b.stats.min
    w = terminalreporter
    w.section("ratios (min time; > 1 means pyengine is faster)")
    for group, t in groups.items():
        if "pyengine" not in t:
            continue
        parts = [f"{group:<32} pyengine {t['pyengine'] * 1e6:9.1f} us"]
        for other in ("numpy", "torch"):
            if other in t:
                parts.append(f"{other}/pe {t[other] / t['pyengine']:6.2f}")
        w.write_line("  ".join(parts))
