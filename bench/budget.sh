#!/usr/bin/env bash
# What training budget the speed-robustness targets need (issue 12: macro-F1 >= 0.80 on the fast test split, and at
# 4x within 5 points of 1x), measured on one GPU: lanes of `mcat experiments` side by side, one process per seed, every
# lane on the same seeds and the same 12 fast test recordings (each recording draws from its own seeded generator, so
# adding train recordings leaves val and test as they are). Plans:
#   PLAN=axes (default): one budget axis at a time against the demo's (6 train recordings, 48 px, 6 epochs):
#     demo        the demo's budget, input modes both and mask+pose
#     epochs      30 epochs (the paper's count), both and mask+pose
#     data        24 train recordings (4x the demo's), 15 epochs (2x the steps of `epochs`), both and mask+pose
#     tempo       as `data`, mask+pose with tempo augmentation [0.8, 3.0]
#     resolution  112 px (the paper's), 30 epochs, mask+pose
#   PLAN=compute: the demo's training compute (train recordings x epochs = 36) spent on more recordings:
#     12 x 3 and 18 x 2, mask+pose; and the `tempo` lane's seed 2 (TEMPO_SEEDS, default 2)
#   PLAN=data48: 48 train recordings (8x the demo's), 15 epochs, both and mask+pose, every seed its own process side
#     by side; then bench/tempo_averaging_bench.py on each input mode's models (test-time tempo averaging off and
#     [1, 0.5], the fast split at 1x, 2x and 4x): tempo-both.txt, tempo-mask-pose.txt
#   PLAN=averaging: the `tempo` lane (24 recordings, 15 epochs, tempo augmentation [0.8, 3.0], mask+pose) again, each
#     seed its own process, scored with test-time tempo averaging over [1, 0.5, 0.33] at playback 1x, 2x and 4x
#     (training is unchanged by it, so the networks are the `tempo` lane's)
#   PLAN=serving: the inputs `mcat predict` gives a model (issue 13): the `data48` budget (48 recordings, 15 epochs,
#     mask+pose), trained with each dose of DOSES (pose_noise/mask_noise pairs, default "0.0/0.0 0.5/0.0"), each seed
#     and dose its own process side by side, each model scored on the test split with the exact masks and keypoints
#     and with SERVE's masks/ and pose/ (the test recordings' following selfie masks and BlazePose keypoints, made
#     beforehand with `mcat masks -S masks.backend=selfie` and `mcat pose -S pose.backend=blazepose` on the demo's
#     data: the test recordings do not change with the train split's size). serving.csv: pose_noise, mask_noise,
#     seed, inputs (exact|serving), accuracy, macro-F1, macro ROC-AUC; the first seed's model of each dose comes back
#     as model-noise<pose_noise>-<mask_noise>.pt
# Usage: [PLAN=axes|compute|data48|averaging|serving] [SERVE=DIR] [DOSES=...] [SEEDS="0 1 2"] [DEADLINE_S=520]
#        [WORKERS=6] [EXTRA="-S K=V ..."] bench/budget.sh OUT
# OUT gets budget.csv, one row per finished run (the lane, then mcat experiments' table.csv row; the columns in
# header.csv), and budget.log. A lane cut off by DEADLINE_S keeps the seeds it finished. EXTRA: overrides given last
# to every command (to try the script: EXTRA="-S train.epochs=1 -S synth.sets_per_recording=1"). Runs on the
# machine's own python3 and torch (the GPU when there is one).
set -u
out=${1:?usage: bench/budget.sh OUT}
read -r -a extra <<< "${EXTRA:-}"
deadline=$(( $(date +%s) + ${DEADLINE_S:-520} ))
mkdir -p "$out"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
mcat() { python3 -m mcat.cli "$@"; }
work=$(mktemp -d)
log="$out/budget.log"
mkdir -p "$work/runs"
nvidia-smi --query-gpu=name --format=csv,noheader >> "$log" 2>&1
start=$(date +%s)

data() {  # data NAME RESOLUTION [-S ...]: render (or reuse $SYNTH's render), ingest at RESOLUTION, masks, pose, windows
  local d=$work/$1 src=$work/${SYNTH:-$1}/synthetic res=$2; shift 2
  local set=(-S "ingest.source=$src" -S "ingest.resolution=$res" "$@" "${extra[@]}")
  { { [ -d "$src" ] || mcat synth --out "$src" --workers "${WORKERS:-6}" "${set[@]}"; } &&
    mcat ingest --out "$d/ingested" "${set[@]}" &&
    mcat masks --store "$d/ingested" --out "$d/masks" "${set[@]}" &&
    mcat pose --store "$d/ingested" --masks "$d/masks" --out "$d/pose" "${set[@]}" &&
    mcat windows --store "$d/ingested" --masks "$d/masks" --out "$d/windows" "${set[@]}"
  } > "$work/data-$1.log" 2>&1 || { echo "no data $1:"; tail -n 5 "$work/data-$1.log"; } >> "$log"
}

lane() {  # lane NAME DATA MODE [-S ...]: one mcat experiments process per seed ($LANE_SEEDS), until the deadline
  local name=$1 d=$work/$2 mode=$3 seeds; shift 3
  read -r -a seeds <<< "${LANE_SEEDS:-${SEEDS:-0 1 2}}"
  [ -d "$d/windows" ] || return
  for seed in "${seeds[@]}"; do
    local left=$(( deadline - $(date +%s) ))
    [ "$left" -gt 30 ] || { echo "$name $mode: deadline before seed $seed" >> "$log"; return; }
    local s0=$(date +%s) r=$work/runs/$name-$mode-$seed
    OMP_NUM_THREADS=2 timeout "$left" python3 -m mcat.cli experiments --no-track -S explain.per_class=0 \
      -S "experiments.seeds=[$seed]" -S "experiments.runs=[{model: mcat, input_mode: $mode}]" "$@" "${extra[@]}" \
      --windows "$d/windows" --store "$d/ingested" --masks "$d/masks" --pose "$d/pose" \
      --models "$r/models" --reports "$r/reports" > "$r.log" 2>&1
    if [ -f "$r/reports/table.csv" ]; then
      head -n 1 "$r/reports/table.csv" | sed 's/^/lane,/' > "$out/header.csv"
      tail -n +2 "$r/reports/table.csv" | sed "s/^/$name,/" >> "$out/budget.csv"
      echo "$name $mode seed $seed: $(( $(date +%s) - s0 )) s" >> "$log"
    else { echo "$name $mode seed $seed failed:"; tail -n 3 "$r.log"; } >> "$log"; fi
  done
}

more=(-S synth.splits.train.recordings=24)
tempo=(-S train.epochs=15 -S "train.augment.tempo=[0.8, 3.0]")
case ${PLAN:-axes} in
  axes)
    { data demo 48 && SYNTH=demo data demo112 112; } &
    data more 48 "${more[@]}" &
    wait; echo "data: $(( $(date +%s) - start )) s" >> "$log"
    { lane demo demo both; lane demo demo mask+pose; } &
    lane epochs demo mask+pose -S train.epochs=30 &
    lane epochs demo both -S train.epochs=30 &
    lane data more mask+pose -S train.epochs=15 &
    lane data more both -S train.epochs=15 &
    lane tempo more mask+pose "${tempo[@]}" &
    lane resolution demo112 mask+pose -S train.epochs=30 & ;;
  compute)
    data r12 48 -S synth.splits.train.recordings=12 &
    data r18 48 -S synth.splits.train.recordings=18 &
    data more 48 "${more[@]}" &
    wait; echo "data: $(( $(date +%s) - start )) s" >> "$log"
    lane compute-12x3 r12 mask+pose -S train.epochs=3 &
    lane compute-18x2 r18 mask+pose -S train.epochs=2 &
    LANE_SEEDS=${TEMPO_SEEDS:-2} lane tempo more mask+pose "${tempo[@]}" & ;;
  data48)
    data r48 48 -S synth.splits.train.recordings=48
    echo "data: $(( $(date +%s) - start )) s" >> "$log"
    for seed in ${SEEDS:-0 1 2}; do
      for mode in both mask+pose; do LANE_SEEDS=$seed lane data48 r48 $mode -S train.epochs=15 & done
    done
    wait
    for mode in both mask+pose; do
      timeout $(( deadline + 150 - $(date +%s) )) python3 bench/tempo_averaging_bench.py --sets "1;1,0.5" \
        --factors 1,2,4 --device auto --store "$work/r48/ingested" --masks "$work/r48/masks" --pose "$work/r48/pose" \
        --work "$work/tempo-$mode" "$work"/runs/data48-$mode-*/models/*/model.pt > "$out/tempo-${mode//+/-}.txt" 2>&1 &
    done ;;
  averaging)
    data more 48 "${more[@]}"
    echo "data: $(( $(date +%s) - start )) s" >> "$log"
    for seed in ${SEEDS:-0 1 2}; do
      LANE_SEEDS=$seed lane averaging more mask+pose "${tempo[@]}" -S "train.tempo_averaging=[1, 0.5, 0.33]" \
        -S "speedtest.factors=[1, 2, 4]" &
    done ;;
  serving)
    serve=${SERVE:?PLAN=serving needs SERVE=DIR with masks/ and pose/ of the test recordings}
    data r48 48 -S synth.splits.train.recordings=48
    echo "data: $(( $(date +%s) - start )) s" >> "$log"
    read -r -a seeds <<< "${SEEDS:-0 1 2}"
    d=$work/r48
    for seed in "${seeds[@]}"; do
      for dose in ${DOSES:-0.0/0.0 0.5/0.0}; do
        {
          noise=${dose%/*} mask_noise=${dose#*/}
          r=$work/runs/serving-$noise-$mask_noise-$seed s0=$(date +%s)
          [ $(( deadline - s0 )) -gt 30 ] || { echo "serving $dose: deadline before seed $seed" >> "$log"; exit; }
          OMP_NUM_THREADS=2 timeout $(( deadline - s0 )) python3 -m mcat.cli train --no-track -S train.epochs=15 \
            -S train.seed="$seed" -S train.augment.pose_noise="$noise" -S train.augment.mask_noise="$mask_noise" \
            "${extra[@]}" --windows "$d/windows" --store "$d/ingested" --masks "$d/masks" --pose "$d/pose" \
            --out "$r/model" > "$r.log" 2>&1 ||
            { echo "serving $dose seed $seed failed:"; tail -n 3 "$r.log"; } >> "$log"
          echo "serving $dose seed $seed: $(( $(date +%s) - s0 )) s" >> "$log"
          [ "$seed" = "${seeds[0]}" ] && cp "$r/model/model.pt" "$out/model-noise$noise-$mask_noise.pt"
          for inputs in exact serving; do
            where=(--masks "$d/masks" --pose "$d/pose")
            [ $inputs = serving ] && where=(--masks "$serve/masks" --pose "$serve/pose")
            OMP_NUM_THREADS=2 python3 -m mcat.cli evaluate --no-track -S explain.per_class=0 \
              -S 'evaluate.splits=[test]' --model "$r/model/model.pt" --windows "$d/windows" --store "$d/ingested" \
              "${where[@]}" --reports "$r/$inputs" >> "$r.log" 2>&1 &&
            python3 -c "import json, sys; t = json.load(open(sys.argv[1]))['test']; print(*sys.argv[2:], \
t['accuracy'], t['macro_f1'], t['macro_roc_auc'], sep=',')" "$r/$inputs/metrics.json" "$noise" "$mask_noise" \
              "$seed" "$inputs" >> "$out/serving.csv"
          done
        } &
      done
    done ;;
  *) echo "PLAN must be axes, compute, data48, averaging or serving, got '$PLAN'" >&2; exit 2 ;;
esac
wait
echo "all: $(( $(date +%s) - start )) s" >> "$log"
cat "$log" "$out"/tempo-*.txt 2>/dev/null
