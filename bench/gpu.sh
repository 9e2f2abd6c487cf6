#!/usr/bin/env bash
# What one call on a lent GPU machine measures, in one go (a machine is lent for minutes, so nothing is run twice):
#   1. the pose ablation (presets/pose-ablation.yaml) on the demo's data: one `mcat experiments` process per
#      configuration, side by side on the one GPU; each writes its table.csv (one row per seed);
#   2. then, alone on the machine, bench/models_bench.py on CUDA: every switch at 48 and 112 px, batch 32
#      (what training uses), and the bf16 switches at 112 px, batch 128.
# Usage: [POSE=DIR] [MODES="both pose"] [BENCH=no] bench/gpu.sh DATA OUT — DATA holds the demo's ingested/, masks/,
# pose/ and windows/ (`dvc repro pose windows`); POSE: other keypoints of the same store (default DATA/pose, e.g.
# `mcat pose -S pose.backend=blazepose`); MODES: the input modes of the ablation; BENCH=no: the ablation alone;
# TEST_POSE=DIR: every trained model is also evaluated with those keypoints (trained on one pose source, tested on
# another: transfer.txt, one line per model: run, test accuracy, macro-F1, macro ROC-AUC).
# OUT gets gpu.txt, ablation-<n>.csv and models-*.txt. Runs on the machine's own python3 and torch.
set -u
data=${1:?usage: bench/gpu.sh DATA OUT}
out=${2:?usage: bench/gpu.sh DATA OUT}
pose=${POSE:-$data/pose}
read -r -a modes <<< "${MODES:-both both+pose pose mask+pose}"
mkdir -p "$out"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(), torch.get_num_threads(),
'threads')"
} > "$out/gpu.txt" 2>&1
work=$(mktemp -d)
start=$(date +%s)
for i in "${!modes[@]}"; do
  OMP_NUM_THREADS=3 timeout 330 python3 -m mcat.cli experiments --preset pose-ablation --no-track \
    -S "experiments.runs=[{model: mcat, input_mode: ${modes[$i]}}]" \
    --windows "$data/windows" --store "$data/ingested" --masks "$data/masks" --pose "$pose" \
    --models "$work/$i/models" --reports "$work/$i/reports" > "$work/$i.log" 2>&1 &
done
wait
echo "ablation: $(( $(date +%s) - start )) s for ${#modes[@]} configurations side by side" >> "$out/gpu.txt"
for i in "${!modes[@]}"; do
  if [ -f "$work/$i/reports/table.csv" ]; then cp "$work/$i/reports/table.csv" "$out/ablation-$i.csv"
  else tail -5 "$work/$i.log" >> "$out/gpu.txt"; fi
done
if [ -n "${TEST_POSE:-}" ]; then
  for i in "${!modes[@]}"; do
    for model in "$work/$i/models"/*/model.pt; do
      run=$(basename "$(dirname "$model")")
      OMP_NUM_THREADS=3 python3 -m mcat.cli evaluate --no-track -S explain.per_class=0 -S 'evaluate.splits=[test]' \
        --model "$model" --windows "$data/windows" --store "$data/ingested" --masks "$data/masks" \
        --pose "$TEST_POSE" --reports "$work/transfer/$run" > /dev/null 2>&1 &&
      python3 -c "import json, sys; t = json.load(open(sys.argv[1]))['test']; print(sys.argv[2], t['accuracy'], \
t['macro_f1'], t['macro_roc_auc'])" "$work/transfer/$run/metrics.json" "$run" >> "$out/transfer.txt"
    done &
  done
  wait
fi
[ "${BENCH:-yes}" = no ] && exit 0
python3 bench/models_bench.py --device cuda --models mcat --switches all --resolution 48 > "$out/models-48.txt" 2>&1
python3 bench/models_bench.py --device cuda --models mcat --switches all --resolution 112 > "$out/models-112.txt" 2>&1
python3 bench/models_bench.py --device cuda --models mcat --switches eager,channels_last,bf16 --resolution 112 \
  --batch 128 > "$out/models-112-b128.txt" 2>&1
cat "$out"/gpu.txt "$out"/models-*.txt
