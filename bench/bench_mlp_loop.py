"""The PyTorch-style training loop on a small MLP, pyengine next to PyTorch in the same process.

    PYTHONPATH=. python3 bench/bench_mlp_loop.py                       # full table
    PYTHONPATH=. python3 bench/bench_mlp_loop.py --widths 16 64 --batches 64 --opts sgd --runs 5
    PYTHONPATH=. python3 bench/bench_mlp_loop.py --opt-step --widths 16 128 --cpu-time --threads 1

Model: nn.Sequential(Linear(64, w), ReLU, Linear(w, w), ReLU, Linear(w, 10)), F.cross_entropy
on class indices, and per step `opt.zero_grad(); loss.backward(); opt.step()` with SGD (lr 0.01,
momentum 0.9) or Adam (lr 1e-3). Both libraries start from the same weights and data.

For each (optimizer, width, batch) the two libraries' step loops at every thread count are timed
in alternating rounds (pe 1 thread, torch 1 thread, pe 2 threads, torch 2 threads, pe 1 thread,
...: a noisy neighbour on a shared machine disturbs all alike); the table gives each one's best
time per step over the rounds and the ratio pe/torch (< 1: pyengine faster). A `--runs` > 1
repeats the whole measurement and prints the median ratio and the spread.
Threads: pyengine's and PyTorch's thread counts are set alike (pe.set_num_threads,
torch.set_num_threads) to each value of --threads. On a machine shared with other jobs, wall
time measures the neighbours as much as the code: `--cpu-time --threads 1` times with the
calling thread's CPU time (time.thread_time) instead.
"""
import argparse
import statistics
import sys
import time
import timeit

import numpy as np

import pyengine as pe

try:
    import torch
except ImportError:  # pyengine alone
    torch = None

IN_FEATURES, CLASSES = 64, 10


def _init(width, rng):
    """(weight, bias) per layer, PyTorch layout."""
    dims = (IN_FEATURES, width, width, CLASSES)
    out = []
    for i, o in zip(dims[:-1], dims[1:]):
        bound = 1.0 / np.sqrt(i)
        out.append((rng.uniform(-bound, bound, (o, i)).astype(np.float32),
                    rng.uniform(-bound, bound, o).astype(np.float32)))
    return out


def make_step(lib, width, batch, opt_name):
    """A zero-argument callable running one training step of `lib` (pe or torch)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, IN_FEATURES)).astype(np.float32)
    y = rng.integers(0, CLASSES, batch).astype(np.int64)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(IN_FEATURES, width), nn.ReLU(), nn.Linear(width, width),
                          nn.ReLU(), nn.Linear(width, CLASSES))
    for layer, (w, b) in zip([model[0], model[2], model[4]], _init(width, rng)):
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(w))
            layer.bias.copy_(lib.tensor(b))
    if opt_name == "sgd":
        opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    else:
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    xt, yt = lib.tensor(x), lib.tensor(y)
    cross_entropy = nn.functional.cross_entropy

    def step():
        opt.zero_grad()
        loss = cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        return loss

    step.opt = opt
    return step


TIMER = time.perf_counter


def best_times(fns, rounds, target_s=0.05, before=None):
    """Best time per call of each callable over `rounds` alternating rounds of about
    `target_s` each. before(i), when given, runs untimed ahead of each timing of fns[i]."""
    numbers = []
    for i, fn in enumerate(fns):
        if before is not None:
            before(i)
        for _ in range(3):
            fn()  # warm-up: optimizer state, scratch buffers
        numbers.append(max(3, min(5000, int(target_s / max(
            timeit.timeit(fn, number=3, timer=TIMER) / 3, 1e-7)))))
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, (fn, number) in enumerate(zip(fns, numbers)):
            if before is not None:
                before(i)
            # A pause first, so that the other library's OpenMP workers, still spinning after
            # its last parallel region, do not take a core from this one (2-core machine).
            time.sleep(0.02)
            best[i] = min(best[i], timeit.timeit(fn, number=number, timer=TIMER) / number)
    return best


def set_threads(n):
    pe.set_num_threads(n)
    if torch is not None:
        torch.set_num_threads(n)


def measure(width, batch, opt_name, threads, rounds):
    """{(library, thread count): best time per step}. Every thread count's steps are timed in
    the same alternating rounds (pe and torch at 1 thread, then at 2, ...), so a burst of load
    from a neighbour disturbs one round of every cell alike instead of all rounds of one
    cell: the 2-thread / 1-thread comparison is as fair as the pe / torch one."""
    libs = [pe] + ([torch] if torch is not None else [])
    steps = {lib: make_step(lib, width, batch, opt_name) for lib in libs}
    cells = [(lib, t) for t in threads for lib in libs]
    times = best_times([steps[lib] for lib, _ in cells], rounds,
                       before=lambda i: set_threads(cells[i][1]))
    return {(lib.__name__, t): x for (lib, t), x in zip(cells, times)}


def measure_opt_step(width, opt_name, rounds):
    """Best time of `opt.step()` alone (the grads of one batch-10 step, kept) for pyengine's
    planned steady state, pyengine's general per-group path and PyTorch's default."""
    fns, names = [], []
    for lib in [pe] + ([torch] if torch is not None else []):
        variants = [("pe plan", False), ("pe general", True)] if lib is pe else [("torch", None)]
        for name, general in variants:
            step = make_step(lib, width, 10, opt_name)
            step()  # grads and optimizer state
            if general:
                step.opt._step_foreach = None  # never takes the plan (optim/optimizer.py)
            fns.append(step.opt.step)
            names.append(name)
    return dict(zip(names, best_times(fns, rounds)))


def opt_step_table(args):
    print(f"optimizer step alone (Linear 64-w-w-10, 6 tensors), us per step, best of "
          f"{args.rounds} alternating rounds")
    print(f"{'opt':5s} {'width':>5s} {'pe plan':>8s} {'general':>8s} {'torch':>8s} "
          f"{'plan/general':>12s} {'plan/torch':>10s}")
    for opt_name in args.opts:
        for width in args.widths:
            t = measure_opt_step(width, opt_name, args.rounds)
            th = t.get("torch", float("nan"))
            print(f"{opt_name:5s} {width:5d} {t['pe plan'] * 1e6:8.2f} "
                  f"{t['pe general'] * 1e6:8.2f} {th * 1e6:8.2f} "
                  f"{t['pe plan'] / t['pe general']:12.2f} {t['pe plan'] / th:10.2f}")
            sys.stdout.flush()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--widths", type=int, nargs="+", default=[16, 32, 64, 128, 256, 512])
    ap.add_argument("--batches", type=int, nargs="+", default=[10, 32, 64])
    ap.add_argument("--opts", nargs="+", choices=["sgd", "adam"], default=["sgd", "adam"])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=7, help="alternating rounds per measurement")
    ap.add_argument("--runs", type=int, default=1, help="repeat each measurement; median ratio")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time with the calling thread's CPU time instead of wall time: "
                         "robust on an "
                         "overloaded machine, meaningful for 1 thread only")
    ap.add_argument("--opt-step", action="store_true",
                    help="time only optimizer.step() (planned vs general path vs PyTorch) at "
                         "each width, instead of the whole loop")
    args = ap.parse_args(argv)
    if args.cpu_time:
        global TIMER
        if args.threads != [1]:
            ap.error("--cpu-time counts the calling thread only: use it with --threads 1")
        TIMER = time.thread_time
    if args.opt_step:
        set_threads(args.threads[0])
        return opt_step_table(args)
    print(f"pyengine {pe.__version__} (ISA {pe._C.cpu_isa()}), "
          f"PyTorch {torch.__version__ if torch else 'not installed'}; time per step, best of "
          f"{args.rounds} alternating rounds; ratio = pe / torch (median of {args.runs} runs)")
    print(f"{'opt':5s} {'width':>5s} {'batch':>5s} {'thr':>3s} {'pe us':>9s} {'torch us':>9s} "
          f"{'ratio':>6s} {'spread':>13s}")
    pe_by_threads, ratio_by = {}, {}
    for opt_name in args.opts:
        for width in args.widths:
            for batch in args.batches:
                runs = [measure(width, batch, opt_name, args.threads, args.rounds)
                        for _ in range(args.runs)]
                for threads in args.threads:
                    t_pe = min(r[("pyengine", threads)] for r in runs)
                    pe_by_threads[(opt_name, width, batch, threads)] = t_pe
                    if torch is None:
                        print(f"{opt_name:5s} {width:5d} {batch:5d} {threads:3d} "
                              f"{t_pe * 1e6:9.1f}")
                        continue
                    ratios = sorted(r[("pyengine", threads)] / r[("torch", threads)]
                                    for r in runs)
                    ratio_by[(opt_name, width, batch, threads)] = statistics.median(ratios)
                    t_th = min(r[("torch", threads)] for r in runs)
                    print(f"{opt_name:5s} {width:5d} {batch:5d} {threads:3d} {t_pe * 1e6:9.1f} "
                          f"{t_th * 1e6:9.1f} {statistics.median(ratios):6.2f} "
                          f"{ratios[0]:6.2f}-{ratios[-1]:.2f}")
                sys.stdout.flush()
    if ratio_by:
        target_summary(ratio_by, pe_by_threads)
    if 1 in args.threads and 2 in args.threads:
        worse = [(k[:3], pe_by_threads[k[:3] + (2,)] / pe_by_threads[k])
                 for k in pe_by_threads if k[3] == 1]
        print("pyengine 2-thread / 1-thread time, worst: "
              + ", ".join(f"{o}/{w}/{b}: {r:.2f}" for (o, w, b), r in
                          sorted(worse, key=lambda t: -t[1])[:5]))


def target_summary(ratio_by, pe_by_threads):
    """Issue 12 item 3: pe/torch <= 1/2 at widths up to 128, <= 1 at 256 and 512; 2 threads
    never slower than 1 thread."""
    misses = [f"{o}/w{w}/b{b}/t{t}: {r:.2f}" for (o, w, b, t), r in sorted(ratio_by.items())
              if r > (0.5 if w <= 128 else 1.0)]
    cliffs = [f"{o}/w{w}/b{b}: {pe_by_threads[(o, w, b, 2)] / t1:.2f}"
              for (o, w, b, t), t1 in sorted(pe_by_threads.items())
              if t == 1 and (o, w, b, 2) in pe_by_threads and pe_by_threads[(o, w, b, 2)] > t1]
    print(f"item 3 targets: ratio met in {len(ratio_by) - len(misses)} of {len(ratio_by)} cells"
          + (f"; above target: {', '.join(misses)}" if misses else ""))
    if any(k[3] == 2 for k in pe_by_threads):
        print("2 threads slower than 1: " + (", ".join(cliffs) if cliffs else "none"))
        # Cells where the two thread counts run the same code (no parallel region in a step:
        # every cell up to width 256 at batch 32 and width 512 at batch 10, as
        # tools/mlp_loop_parallel_regions.py counts) still differ by the timing noise; a cliff
        # is well outside it.
        big = [c for c in cliffs if float(c.rsplit(": ", 1)[1]) > 1.05]
        forking = [c for c in big if _forks(c)]
        print("2 threads more than 5 % slower than 1: " + (", ".join(big) if big else "none")
              + (f"; of these in cells whose step forks: {', '.join(forking) or 'none'}"
                 if big else ""))


def _forks(cell):
    """Whether a cell's step enters a parallel region on 2 threads ("sgd/w256/b64: 1.08"):
    width 256 at batch 64 and width 512 at batch 32 and 64 (tools/mlp_loop_parallel_regions.py;
    GEMM threads from 6 Mi flops, optimizer updates from 2^18 elements)."""
    _, w, b = cell.split(":")[0].split("/")
    width, batch = int(w[1:]), int(b[1:])
    return (width, batch) in {(256, 64), (512, 32), (512, 64)}


if __name__ == "__main__":
    main()
