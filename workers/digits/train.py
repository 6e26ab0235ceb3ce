"""Train the example digit workers and write their weights as memjit-dense/1 JSON.

    pip install -e ".[train]"        # scikit-learn
    python workers/digits/train.py   # rewrites workers/digits/models/*.json and the test set

The task, ``digits-8x8``: scikit-learn's 8×8 handwritten digits (1,797 images, shipped with
the library: no download), pixels 0–16 as one byte each. A fixed, stratified split keeps
25 % aside; those 450 items go to ``oracle/data/digits-8x8-test.bin`` (64 pixel bytes then the
label byte, per item), which the workers never see in training. A digest of each of the 1,797
published items goes to ``oracle/data/digits-8x8-published.bin``: canaries never repeat one
(``oracle/canaries.py``).

Three models of clearly different quality, all seeded, so reruns give the same weights on the
same library versions:

* ``centroid``  — nearest centroid on raw pixels: one linear layer, W = 2c, b = −‖c‖²;
* ``logistic``  — standardized multinomial logistic regression;
* ``mlp``       — standardized inputs, one hidden ReLU layer of 64, trained with Adam.

Regularization strengths are chosen by 5-fold cross-validation on the training split.

The standardizer folds into the first layer, so every worker takes raw pixel bytes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neighbors import NearestCentroid
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from oracle.datasets import encode_digests

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "workers" / "digits" / "models"
TEST_SET = ROOT / "oracle" / "data" / "digits-8x8-test.bin"
PUBLISHED = ROOT / "oracle" / "data" / "digits-8x8-published.bin"
#: The first ten held-out images, pixels only: a ready input for `memjit worker run`.
SAMPLE = ROOT / "workers" / "digits" / "sample.bin"
SEED = 0


def layer(weights: np.ndarray, bias: np.ndarray, activation: str) -> dict[str, Any]:
    """One JSON layer; ``weights`` is outputs × inputs."""
    return {
        "weights": [[float(v) for v in row] for row in weights.astype(np.float32)],
        "bias": [float(v) for v in bias.astype(np.float32)],
        "activation": activation,
    }


def fold_scaler(
    scaler: StandardScaler, weights: np.ndarray, bias: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """W·((x−μ)/σ) + b  =  (W/σ)·x + (b − W·μ/σ)."""
    scale = np.asarray(scaler.scale_)
    mean = np.asarray(scaler.mean_)
    folded = weights / scale
    return folded, bias - folded @ mean


def model(name: str, layers: list[dict[str, Any]], accuracy: float) -> dict[str, Any]:
    return {
        "format": "memjit-dense/1",
        "name": f"digits-{name}",
        "task": "digits-8x8",
        "input_size": 64,
        "input_scale": 1.0,
        "layers": layers,
        "trained": {"library": "scikit-learn", "seed": SEED, "test_accuracy": round(accuracy, 4)},
    }


def tuned(estimator: Any, grid: dict[str, list[float]], x: np.ndarray, y: np.ndarray) -> Any:
    """``estimator`` with its regularization picked by 5-fold cross-validation on the
    training split, then refit on all of it. The held-out items play no part in any choice."""
    return GridSearchCV(estimator, grid, cv=5).fit(x, y).best_estimator_


def published_digests(data: np.ndarray) -> bytes:
    """The published-items file for every image of scikit-learn's digits."""
    items = [bytes(row) for row in data.astype(np.uint8)]
    return encode_digests(
        items,
        f"sha256[:8] of each of scikit-learn's {len(items)} 8x8 digits (64 pixel bytes), "
        "sorted; regenerate with: python workers/digits/train.py",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=MODELS, help="where the JSON models go")
    parser.add_argument("--test-set", type=Path, default=TEST_SET, help="the held-out items file")
    parser.add_argument(
        "--published", type=Path, default=PUBLISHED, help="the published items' digests file"
    )
    args = parser.parse_args()
    digits = load_digits()
    x = digits.data.astype(np.float64)
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, stratify=y, random_state=SEED
    )
    scaler = StandardScaler().fit(x_train)
    out: dict[str, dict[str, Any]] = {}

    centroid = NearestCentroid().fit(x_train, y_train)
    c = np.asarray(centroid.centroids_)
    out["centroid"] = model(
        "centroid",
        [layer(2 * c, -np.sum(c * c, axis=1), "none")],
        centroid.score(x_test, y_test),
    )

    x_scaled = scaler.transform(x_train)
    logistic = tuned(
        LogisticRegression(max_iter=5000, random_state=SEED),
        {"C": [0.01, 0.1, 1.0, 10.0]},
        x_scaled,
        y_train,
    )
    w, b = fold_scaler(scaler, logistic.coef_, logistic.intercept_)
    out["logistic"] = model(
        "logistic", [layer(w, b, "none")], logistic.score(scaler.transform(x_test), y_test)
    )

    mlp = tuned(
        MLPClassifier(hidden_layer_sizes=(64,), max_iter=3000, random_state=SEED),
        {"alpha": [1e-4, 1e-2, 1.0]},
        x_scaled,
        y_train,
    )
    w0, b0 = fold_scaler(scaler, mlp.coefs_[0].T, mlp.intercepts_[0])
    out["mlp"] = model(
        "mlp",
        [layer(w0, b0, "relu"), layer(mlp.coefs_[1].T, mlp.intercepts_[1], "none")],
        mlp.score(scaler.transform(x_test), y_test),
    )

    args.models.mkdir(parents=True, exist_ok=True)
    for name, document in out.items():
        path = args.models / f"{name}.json"
        path.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"{path}: test accuracy {document['trained']['test_accuracy']:.2%}")

    items = np.concatenate([x_test.astype(np.uint8), y_test.astype(np.uint8)[:, None]], axis=1)
    args.test_set.parent.mkdir(parents=True, exist_ok=True)
    args.test_set.write_bytes(items.tobytes())
    print(f"{args.test_set}: {len(items)} held-out items")
    args.published.write_bytes(published_digests(digits.data))
    print(f"{args.published}: digests of {len(digits.data)} published items")
    if args.test_set == TEST_SET:
        SAMPLE.write_bytes(x_test[:10].astype(np.uint8).tobytes())
        print(f"{SAMPLE}: 10 items, labels {' '.join(map(str, y_test[:10]))}")


if __name__ == "__main__":
    main()
