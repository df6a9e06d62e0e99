"""Cross-check of the churn tutorial's accuracy: the same model, split and training in PyTorch.

    python bench/churn_accuracy_torch.py [seeds=4] [--data ../shared/data/Churn_Modelling.csv]

Dense 11-6-6-1 (relu, relu, sigmoid), weights uniform in [-0.05, 0.05] and zero biases (Keras'
'uniform'), Adam lr 1e-3 eps 1e-7 (Keras' defaults), BCE on clipped probabilities, batch 10,
50 epochs, reshuffled each epoch; the data preprocessing of examples/churn_ann.py. Prints the
test accuracy per seed, to compare with `python examples/churn_ann.py --seed N`.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
import churn_ann  # noqa: E402  (its loader, split and scaler)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("seeds", nargs="?", type=int, default=4)
    ap.add_argument("--data", default="../shared/data/Churn_Modelling.csv")
    args = ap.parse_args()
    X, y = churn_ann.load(args.data)
    X_train, X_test, y_train, y_test = churn_ann.train_test_split(X, y)
    sc = churn_ann.StandardScaler()
    X_train = torch.tensor(sc.fit_transform(X_train), dtype=torch.float32)
    X_test = torch.tensor(sc.transform(X_test), dtype=torch.float32)
    y_train = torch.tensor(y_train, dtype=torch.float32)[:, None]
    torch.set_num_threads(1)
    accs = []
    for seed in range(args.seeds):
        torch.manual_seed(seed)
        model = torch.nn.Sequential(torch.nn.Linear(11, 6), torch.nn.ReLU(), torch.nn.Linear(6, 6),
                                    torch.nn.ReLU(), torch.nn.Linear(6, 1), torch.nn.Sigmoid())
        for layer in model:
            if isinstance(layer, torch.nn.Linear):
                torch.nn.init.uniform_(layer.weight, -0.05, 0.05)
                torch.nn.init.zeros_(layer.bias)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
        for _ in range(50):
            perm = torch.randperm(len(X_train))
            for i in range(0, len(X_train), 10):
                idx = perm[i:i + 10]
                opt.zero_grad()
                p = model(X_train[idx]).clamp(1e-7, 1 - 1e-7)
                torch.nn.functional.binary_cross_entropy(p, y_train[idx]).backward()
                opt.step()
        with torch.no_grad():
            acc = float(((model(X_test) > 0.5).numpy().ravel() == y_test).mean())
        accs.append(acc)
        print(f"seed {seed}: test accuracy {acc:.4f}", flush=True)
    print(f"mean over {len(accs)} seeds: {sum(accs) / len(accs):.4f}")


if __name__ == "__main__":
    main()
