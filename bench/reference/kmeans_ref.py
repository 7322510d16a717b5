"""k-means with scikit-learn or faiss on a .npy matrix, for bench/kmeans.ts.

  /usr/bin/python3 bench/reference/kmeans_ref.py --method sklearn|faiss --data X.npy --k K
      [--init INIT.npy | --init k-means++ | --init random] [--iters 20] [--threads 2]
      [--seed 0] --out CENTROIDS.npy

Runs Lloyd iterations (scikit-learn: KMeans(algorithm='lloyd', tol=0, n_init=1);
faiss: faiss.Kmeans with every row used for training), writes the final centroids as
float32 K x D, and prints one JSON line: method, seconds (training only, data already in
memory, after a warm-up run on a few rows for scikit-learn), iterations, and the library's own
last inertia figure. The caller recomputes the
inertia of every method's centroids in one place, so the libraries' figures are only for
reference.
"""
import argparse
import json
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument("--method", required=True, choices=["sklearn", "faiss"])
parser.add_argument("--data", required=True)
parser.add_argument("--k", type=int, required=True)
parser.add_argument("--init", default="k-means++")
parser.add_argument("--iters", type=int, default=20)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--out", required=True)
args = parser.parse_args()

os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
import numpy as np  # noqa: E402  (after the thread variables)

x = np.ascontiguousarray(np.load(args.data), dtype=np.float32)
given = None if args.init in ("k-means++", "random") else np.ascontiguousarray(np.load(args.init), dtype=np.float32)

if args.method == "sklearn":
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=args.threads):
        # Warm-up, as bench/kmeans.ts does for selfsup: 2 iterations on the first max(4K, 2,048) rows.
        w = min(x.shape[0], max(4 * args.k, 2048))
        KMeans(n_clusters=args.k, init="random", n_init=1, max_iter=2, tol=0.0, algorithm="lloyd", random_state=0).fit(x[:w])
        km = KMeans(n_clusters=args.k, init=given if given is not None else args.init, n_init=1,
                    max_iter=args.iters, tol=0.0, algorithm="lloyd", random_state=args.seed)
        t0 = time.perf_counter()
        km.fit(x)
        seconds = time.perf_counter() - t0
    centroids, iterations, inertia = km.cluster_centers_, int(km.n_iter_), float(km.inertia_)
else:
    import faiss

    faiss.omp_set_num_threads(args.threads)
    if args.init == "k-means++":
        raise SystemExit("faiss has no k-means++; use --init random or an init file")
    # max_points_per_centroid: train on every row (faiss subsamples to 256 per centroid by default).
    km = faiss.Kmeans(x.shape[1], args.k, niter=args.iters, seed=args.seed, max_points_per_centroid=x.shape[0],
                      min_points_per_centroid=1, verbose=False)
    t0 = time.perf_counter()
    km.train(x, init_centroids=given)
    seconds = time.perf_counter() - t0
    centroids, iterations, inertia = km.centroids, args.iters, float(km.obj[-1])

np.save(args.out, np.ascontiguousarray(centroids, dtype=np.float32))
print(json.dumps({"method": args.method, "seconds": seconds, "iterations": iterations, "inertia": inertia}))
