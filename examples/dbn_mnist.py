"""A deep belief net on MNIST (Hinton, Osindero & Teh 2006): 784-500-500-2000 RBMs pretrained
greedily without labels, unrolled into a pe.nn classifier with a softmax head and fine-tuned
with backprop (dropout 0.5 on the hidden layers, 0.2 on the pixels, as Hinton et al. 2012); then
what pretraining buys when only 1,000 labels exist, and pictures.

    python examples/dbn_mnist.py --data ../shared/data/mnist.npz            # the full run
    python examples/dbn_mnist.py --quick                                    # synthetic, seconds
    python examples/dbn_mnist.py --data ../shared/data/mnist.npz --out docs/img

The defaults are the recipe of docs/rbm.md's headline figure: 5 CD-1 epochs per layer; then
80 epochs of SGD on all 60,000 labelled images, lr 0.3 x 0.97 per epoch, momentum 0.9, dropout
0.5 / 0.2, the last epoch reported (--val N instead keeps the best epoch on N held-out images).

Printed: pretraining time per layer, fine-tuning time, test error per epoch and at the end;
test error with 1,000 labelled images from the pretrained net and from random initialisation
(each with its best learning rate, and the random one with its best init scale, chosen on
held-out training images); the Keras model built from the same pretrained weights
(pyengine.keras Sequential + Dense.set_weights) fine-tuned on the 1,000 images.
Pictures (matplotlib): first-layer filters and samples from the top RBM drawn down to pixels.
"""
import argparse
import os
import time

import numpy as np

import pyengine as pe
import pyengine.nn as nn
from pyengine.models import DBN, error_rate, fine_tune
from pyengine.models.pictures import save_grid


def load_mnist(path):
    with np.load(path) as d:
        return ((d["x_train"].reshape(-1, 784) / 255.0).astype(np.float32), d["y_train"],
                (d["x_test"].reshape(-1, 784) / 255.0).astype(np.float32), d["y_test"])


def synthetic(n, seed=0):
    """Quick mode without data: 28x28 noisy binary images, 10 classes (one prototype each, the
    same for every seed: the seed draws the labels and the noise)."""
    protos = np.random.default_rng(1234).random((10, 784)) < 0.15
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    flip = rng.random((n, 784)) < 0.05
    return (protos[y] ^ flip).astype(np.float32), y


def random_net(sizes, n_classes, seed, init="default"):
    """The DBN's classifier from random weights: pe.nn's default init (PyTorch's,
    U(+-1/sqrt(fan_in))) or "glorot": Glorot-uniform with gain 4, the scale Glorot & Bengio
    (2010) give for sigmoid units (their derivative is 1/4 at 0), zero biases."""
    pe.manual_seed(seed)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        lin = nn.Linear(a, b)
        if init == "glorot":
            nn.init.xavier_uniform_(lin.weight, gain=4.0)
            nn.init.zeros_(lin.bias)
        layers += [lin, nn.Sigmoid()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], n_classes))


def best_of(make, grid, xs, ys, x_val, y_val, **kw):
    """Fine-tunes make(setting) for every setting of the grid on (xs, ys); returns the net and
    the setting with the lowest error on the validation images (never the test set)."""
    best = None
    for setting in grid:
        net = make(setting)
        fine_tune(net, xs, ys, learning_rate=setting["lr"], **kw)
        err = error_rate(net, x_val, y_val)
        print(f"  {setting}: validation error {err * 100:.2f}%", flush=True)
        if best is None or err < best[0]:
            best = (err, net, setting)
    return best[1], best[2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="path of a Keras-format mnist.npz")
    ap.add_argument("--quick", action="store_true", help="small net, few epochs (test mode)")
    ap.add_argument("--pretrain-epochs", type=int, default=5,
                    help="CD-1 epochs per layer (10: better samples, see docs/rbm.md)")
    ap.add_argument("--momentum", type=float, default=0.5,
                    help="pretraining momentum of the first --momentum-epochs epochs")
    ap.add_argument("--final-momentum", type=float, default=0.9,
                    help="pretraining momentum after them (Hinton & Salakhutdinov: 0.5, then 0.9)")
    ap.add_argument("--momentum-epochs", type=int, default=5)
    ap.add_argument("--finetune-epochs", type=int, default=120)
    ap.add_argument("--small-epochs", type=int, default=100,
                    help="fine-tuning epochs on the 1,000 labelled images")
    ap.add_argument("--labelled", type=int, default=1000)
    ap.add_argument("--out", default=None, help="folder for the PNG pictures")
    ap.add_argument("--dbn", default=None,
                    help=".npz of the pretrained stack: loaded when it exists, else written")
    ap.add_argument("--lr-decay", type=float, default=0.98,
                    help="learning-rate factor per fine-tuning epoch")
    ap.add_argument("--finetune-lr", type=float, default=0.3)
    ap.add_argument("--finetune-weight-decay", type=float, default=0.0)
    ap.add_argument("--dropout", type=float, default=0.5,
                    help="dropout on every hidden layer while fine-tuning on all labels")
    ap.add_argument("--input-dropout", type=float, default=0.2,
                    help="dropout on the pixels while fine-tuning on all labels")
    ap.add_argument("--val", type=int, default=0,
                    help="training images held out to choose the fine-tuning epoch (0: none, "
                         "train on all and report the last epoch)")
    ap.add_argument("--val-small", type=int, default=5000,
                    help="held-out training images that choose the 1,000-label settings")
    ap.add_argument("--only-finetune", action="store_true",
                    help="skip the 1,000-label comparison and the Keras model")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None,
                    help="kernel threads (1 is faster on a machine busy with other work)")
    args = ap.parse_args()
    if args.threads:
        pe.set_num_threads(args.threads)
    sizes = [500, 500, 2000]
    if args.quick:
        sizes = [64, 64, 128]
        args.pretrain_epochs, args.finetune_epochs, args.small_epochs = 2, 2, 5
        args.val, args.val_small = min(args.val, 500), min(args.val_small, 500)
        args.dropout, args.input_dropout = min(args.dropout, 0.2), min(args.input_dropout, 0.1)
    if args.data:
        x_train, y_train, x_test, y_test = load_mnist(os.path.abspath(args.data))
        if args.quick:
            x_train, y_train = x_train[:2000], y_train[:2000]
            x_test, y_test = x_test[:500], y_test[:500]
    elif args.quick:
        print("no --data: quick mode on synthetic 28x28 images")
        x_train, y_train = synthetic(2000, 0)
        x_test, y_test = synthetic(500, 1)
    else:
        ap.error("--data PATH (mnist.npz) is needed outside --quick")
    print(f"train {x_train.shape}, test {x_test.shape}, threads {pe.get_num_threads()}")
    pe.manual_seed(args.seed)

    # 1. greedy pretraining, no labels
    if args.dbn and os.path.exists(args.dbn):
        dbn, t_pre = DBN.load(args.dbn), 0.0
        print(f"pretrained stack loaded from {args.dbn} (pretraining time not re-measured)")
    else:
        momentum = [args.momentum] * args.momentum_epochs + [args.final_momentum]
        dbn = DBN(sizes, learning_rate=0.1, batch_size=100, n_iter=args.pretrain_epochs,
                  momentum=momentum, weight_decay=2e-4, random_state=args.seed, verbose=1)
        t0 = time.perf_counter()
        dbn.fit(x_train)
        t_pre = time.perf_counter() - t0
        for i, (rbm, sec) in enumerate(zip(dbn.rbms_, dbn.pretrain_seconds_)):
            print(f"pretrain layer {i + 1} ({rbm.n_features_in_}-{rbm.n_components}): {sec:.1f}s, "
                  f"reconstruction error {rbm.history_['reconstruction_error'][0]:.4f} -> "
                  f"{rbm.history_['reconstruction_error'][-1]:.4f}", flush=True)
        print(f"pretraining: {t_pre:.1f}s for {args.pretrain_epochs} epochs per layer", flush=True)
        if args.dbn:
            dbn.save(args.dbn)
    if args.out:  # pictures first: they need only the pretrained stack
        os.makedirs(args.out, exist_ok=True)
        save_grid(os.path.join(args.out, "dbn_mnist_filters.png"), dbn.rbms_[0].components_[:100],
                  (28, 28), "First-layer filters (100 of the RBM's components_)")
        t0 = time.perf_counter()
        pics = dbn.sample(25, n_steps=1000, init=x_test[:25])
        print(f"25 samples, 1000 Gibbs steps each in the top RBM: {time.perf_counter() - t0:.1f}s")
        save_grid(os.path.join(args.out, "dbn_mnist_samples.png"), pics, (28, 28),
                  "Samples: 1000 Gibbs steps in the top RBM, then down to pixels")

    # 2. the 1,000-label comparison (cheap, so it runs before the long fine-tuning). Each net
    # gets its best learning rate (and the random one its best init scale) on held-out images.
    if not args.only_finetune:
        n_lab = min(args.labelled, len(x_train))
        xs, ys = x_train[:n_lab], y_train[:n_lab]
        x_sel, y_sel = x_train[-args.val_small:], y_train[-args.val_small:]
        small = dict(epochs=args.small_epochs, batch_size=20, momentum=0.9, random_state=args.seed)
        print(f"{n_lab} labelled images, settings chosen on {len(x_sel)} held-out training images:")
        pre_net, pre_set = best_of(lambda s: dbn.to_module(10, random_state=args.seed),
                                   [dict(lr=lr) for lr in (0.1, 0.3)], xs, ys, x_sel, y_sel,
                                   **small)
        rnd_net, rnd_set = best_of(
            lambda s: random_net([x_train.shape[1]] + sizes, 10, args.seed, s["init"]),
            [dict(init="default", lr=lr) for lr in (0.3, 1.0)] +
            [dict(init="glorot", lr=lr) for lr in (0.1, 0.3)],
            xs, ys, x_sel, y_sel, **small)
        e_pre, e_rnd = error_rate(pre_net, x_test, y_test), error_rate(rnd_net, x_test, y_test)
        print(f"{n_lab} labelled images: test error pretrained {e_pre * 100:.2f}% ({pre_set}) vs "
              f"random init {e_rnd * 100:.2f}% ({rnd_set})", flush=True)

        model = dbn.to_keras(10, random_state=args.seed)
        model.compile(optimizer=pe.keras.optimizers.SGD(learning_rate=pre_set["lr"], momentum=0.9),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(xs, ys, epochs=args.small_epochs, batch_size=20, verbose=0)
        _, acc = model.evaluate(x_test, y_test, verbose=0)
        print(f"{n_lab} labelled images, Keras model from the same DBN (lr {pre_set['lr']}): test "
              f"error {(1 - acc) * 100:.2f}%", flush=True)

    # 3. fine-tuning on all labels; with --val N the last N training images are held out and
    # the net keeps the weights of its best validation epoch (the test set chooses nothing).
    net = dbn.to_module(10, random_state=args.seed, dropout=args.dropout,
                        input_dropout=args.input_dropout)
    n_fit = len(x_train) - args.val
    val = dict(X_val=x_train[n_fit:], y_val=y_train[n_fit:]) if args.val else {}
    t0 = time.perf_counter()
    hist = fine_tune(net, x_train[:n_fit], y_train[:n_fit], epochs=args.finetune_epochs,
                     batch_size=100, learning_rate=args.finetune_lr, momentum=0.9,
                     lr_decay=args.lr_decay, weight_decay=args.finetune_weight_decay,
                     random_state=args.seed, verbose=1, X_test=x_test, y_test=y_test, **val)
    t_fine = time.perf_counter() - t0
    err = error_rate(net, x_test, y_test)
    chosen = (f"epoch {hist['best_epoch']} of {args.finetune_epochs}, chosen on {args.val} "
              f"held-out images" if args.val else f"after {args.finetune_epochs} epochs")
    print(f"fine-tuning: {t_fine:.1f}s for {args.finetune_epochs} epochs on {n_fit} images")
    print(f"DBN {'-'.join(map(str, [x_train.shape[1]] + sizes))}: test error {err * 100:.2f}% "
          f"({chosen}; pretraining {t_pre:.0f}s + fine-tuning {t_fine:.0f}s)")


if __name__ == "__main__":
    main()
