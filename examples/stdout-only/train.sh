#!/bin/sh
# A trainer with no client library: it prints "epoch=N loss=L" lines and the
# service (trainer.metrics.source = "stdout") turns each into a measurement.
#
# Fits y = 2x - 1 + noise (200 fixed points, x in [-1, 1]) by full-batch
# gradient descent with momentum; hyperparameters arrive as --name=value
# arguments: --learning_rate, --momentum, --epochs.
#
#   sh train.sh --learning_rate=0.3 --momentum=0.5 --epochs=10
set -eu

learning_rate=0.1
momentum=0
epochs=20
for arg in "$@"; do
  case "$arg" in
    --learning_rate=*) learning_rate=${arg#*=} ;;
    --momentum=*) momentum=${arg#*=} ;;
    --epochs=*) epochs=${arg#*=} ;;
    *) echo "train.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

echo "training: learning_rate=$learning_rate momentum=$momentum epochs=$epochs" >&2
exec awk -v lr="$learning_rate" -v mom="$momentum" -v epochs="$epochs" 'BEGIN {
  n = 200
  srand(42)  # the same data set every run
  for (i = 0; i < n; i++) {
    x[i] = 2 * rand() - 1
    # noise: the sum of 3 uniforms, centred (about N(0, 0.25^2))
    y[i] = 2 * x[i] - 1 + 0.25 * (rand() + rand() + rand() - 1.5) * 2
  }
  w = 0; b = 0; vw = 0; vb = 0
  for (epoch = 1; epoch <= epochs; epoch++) {
    gw = 0; gb = 0
    for (i = 0; i < n; i++) {
      err = w * x[i] + b - y[i]
      gw += 2 * err * x[i] / n
      gb += 2 * err / n
    }
    vw = mom * vw - lr * gw; w += vw
    vb = mom * vb - lr * gb; b += vb
    loss = 0
    for (i = 0; i < n; i++) { err = w * x[i] + b - y[i]; loss += err * err / n }
    if (loss != loss || loss > 1e6) {
      printf "diverged at epoch %d (loss %g): learning_rate too large\n", epoch, loss > "/dev/stderr"
      exit 1
    }
    printf "epoch=%d loss=%.6f slope=%.4f intercept=%.4f\n", epoch, loss, w, b
    fflush()
  }
}'
