"""The bank-churn ANN of the Keras tutorial (Churn_Modelling.csv), on pyengine.

The model, compile, fit and predict lines are the tutorial's, unchanged except the imports.
The tutorial's pandas / scikit-learn preprocessing is done here with NumPy, step for step
(label-encode Gender, one-hot Geography dropping one column, train_test_split(test_size=0.2,
random_state=0), StandardScaler), so the example needs nothing but pyengine.

    python examples/churn_ann.py --data ../shared/data/Churn_Modelling.csv
"""
import argparse
import csv
import time

import numpy as np

import pyengine as pe
from pyengine.keras.models import Sequential   # was: from keras.models import Sequential
from pyengine.keras.layers import Dense        # was: from keras.layers import Dense


def load(path):
    """X: the 11 tutorial features (Germany, Spain, CreditScore, Gender, Age, Tenure, Balance,
    NumOfProducts, HasCrCard, IsActiveMember, EstimatedSalary); y: Exited."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    geo = np.array([r[4] for r in rows])
    gender = np.array([r[5] for r in rows])
    num = np.array([[float(r[i]) for i in (3, 6, 7, 8, 9, 10, 11, 12)] for r in rows])
    countries = sorted(set(geo))                      # LabelEncoder order: France, Germany, Spain
    onehot = (geo[:, None] == np.array(countries)[None, :]).astype(float)[:, 1:]  # drop France
    is_male = (gender == "Male").astype(float)        # LabelEncoder: Female 0, Male 1
    X = np.column_stack([onehot, num[:, :1], is_male, num[:, 1:]])
    y = np.array([float(r[13]) for r in rows])
    return X, y


def train_test_split(X, y, test_size=0.2, random_state=0):
    """scikit-learn's split for an int random_state (ShuffleSplit's permutation)."""
    perm = np.random.RandomState(random_state).permutation(len(X))
    n_test = int(np.ceil(test_size * len(X)))
    te, tr = perm[:n_test], perm[n_test:]
    return X[tr], X[te], y[tr], y[te]


class StandardScaler:
    def fit_transform(self, X):
        self.mean, self.scale = X.mean(0), X.std(0)
        return self.transform(X)

    def transform(self, X):
        return (X - self.mean) / self.scale


def confusion_matrix(y_true, y_pred):
    y_true, y_pred = y_true.astype(int).ravel(), y_pred.astype(int).ravel()
    return np.array([[np.sum((y_true == i) & (y_pred == j)) for j in (0, 1)] for i in (0, 1)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data/Churn_Modelling.csv")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verbose", type=int, default=1)
    args = ap.parse_args()
    pe.manual_seed(args.seed)

    X, y = load(args.data)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    sc = StandardScaler()
    X_train = sc.fit_transform(X_train)
    X_test = sc.transform(X_test)

    # ---- the tutorial's network, unchanged --------------------------------------------------
    classifier = Sequential()
    classifier.add(Dense(units=6, kernel_initializer='uniform', activation='relu', input_dim=11))
    classifier.add(Dense(units=6, kernel_initializer='uniform', activation='relu'))
    classifier.add(Dense(units=1, kernel_initializer='uniform', activation='sigmoid'))
    classifier.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
    t0 = time.perf_counter()
    classifier.fit(X_train, y_train, batch_size=10, epochs=args.epochs, verbose=args.verbose)
    fit_s = time.perf_counter() - t0

    y_pred = classifier.predict(X_test)
    y_pred = (y_pred > 0.5)
    cm = confusion_matrix(y_test, y_pred)
    print("Confusion matrix:\n", cm)
    accuracy = (cm[0, 0] + cm[1, 1]) / cm.sum()
    print(f"Test accuracy: {accuracy:.4f}  (fit: {fit_s:.1f}s for {args.epochs} epochs)")

    # Geography France, Credit Score 600, Male, Age 40, Tenure 3, Balance 60000,
    # 2 products, has a credit card, active member, Estimated Salary 50000
    new_prediction = classifier.predict(sc.transform(np.array([[0.0, 0, 600, 1, 40, 3, 60000,
                                                                2, 1, 1, 50000]])))
    new_prediction = (new_prediction > 0.5)
    print("Will the customer leave the bank?", bool(new_prediction[0, 0]))
    return accuracy


if __name__ == "__main__":
    main()
