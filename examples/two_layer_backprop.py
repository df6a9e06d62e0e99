"""The classic two-layer sigmoid network trained by hand-written backprop in NumPy (the
"neural network in 11 lines" tutorial), rewritten with pyengine autograd: the forward pass is
the same two lines, loss.backward() replaces the hand-derived deltas.

The NumPy original, for reference:
    for j in range(60000):
        l1 = 1 / (1 + np.exp(-(X.dot(syn0))))
        l2 = 1 / (1 + np.exp(-(l1.dot(syn1))))
        l2_delta = (y - l2) * (l2 * (1 - l2))
        l1_delta = l2_delta.dot(syn1.T) * (l1 * (1 - l1))
        syn1 += l1.T.dot(l2_delta)
        syn0 += X.T.dot(l1_delta)

    python examples/two_layer_backprop.py [--data file.csv]   (default: the tutorial's data)
"""
import argparse

import numpy as np

import pyengine as pe


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None,
                    help="optional CSV of inputs with the 0/1 target in the last column")
    ap.add_argument("--iterations", type=int, default=10000)
    ap.add_argument("--hidden", type=int, default=4)
    args = ap.parse_args()

    if args.data:
        d = np.loadtxt(args.data, delimiter=",", dtype=np.float64)
        X, y = d[:, :-1], d[:, -1:]
    else:
        X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)
        y = np.array([[0, 1, 1, 0]], dtype=np.float64).T

    pe.manual_seed(1)
    X, y = pe.tensor(X), pe.tensor(y)
    syn0 = (2 * pe.rand(X.shape[1], args.hidden, dtype=pe.float64) - 1).requires_grad_()
    syn1 = (2 * pe.rand(args.hidden, 1, dtype=pe.float64) - 1).requires_grad_()

    for j in range(args.iterations):
        l1 = (X @ syn0).sigmoid()
        l2 = (l1 @ syn1).sigmoid()
        loss = 0.5 * ((y - l2) ** 2).sum()      # the NumPy deltas are -dloss/dz of this loss
        loss.backward()
        with pe.no_grad():
            syn1 -= syn1.grad                   # syn1 += l1.T.dot(l2_delta)
            syn0 -= syn0.grad                   # syn0 += X.T.dot(l1_delta)
        syn0.grad = syn1.grad = None
        if j % (args.iterations // 5) == 0:
            print(f"iteration {j:6d}  error {np.abs((y - l2).detach().numpy()).mean():.6f}")

    out = l2.detach().numpy()
    print("Output after training:\n", np.round(out, 4))
    acc = ((out > 0.5) == (y.numpy() > 0.5)).mean()
    print(f"accuracy {acc:.2f}")
    return acc


if __name__ == "__main__":
    main()
