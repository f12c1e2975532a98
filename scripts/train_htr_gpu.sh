#!/usr/bin/env bash
# Train recognizer candidates side by side on one GPU, in one short lease (the device tool).
#
# Why three at once: a small CRNN leaves a large GPU mostly idle and the lease is minutes long, so
# one lease compares a height-64 and a height-48 network trained from scratch with the shipped
# height-32 network widened and trained on. Each trainer augments in worker processes
# (train --workers) and keeps its LAST checkpoint (--keep last): nothing is chosen on the
# validation wills; they are only watched in the metrics.
#
# Inputs (python scripts/prepare_gpu_lease.py builds them on the CPU machine; carried in .gpu/):
#   .gpu/real-poly   training wills' lines, polygon crops at height 64 (NAME.png + NAME.gt.txt)
#   .gpu/val-wills   validation wills' lines, the same way (watched, never trained on)
#   .gpu/data        fonts, a slice of the training texts, MNIST training digits (PALIMPSEST_SHARED_DATA)
# Usage (on the lease, carry .gpu): [CONFIGS="h64"] [BATCH=192] [EXTRA="--lr 2e-3"] bash scripts/train_htr_gpu.sh
# Output: $OUT/<candidate>/model.safetensors + card.json, and $OUT/logs.tar.gz (logs, metrics, GPU bench).
set -u
BUDGET_MIN=${BUDGET_MIN:-6.5}
CONFIGS=${CONFIGS:-"h64 h48 w32"}   # which candidates (below) train, side by side
BATCH=${BATCH:-64}                   # lines a step: the step's time hardly grows with it on a GPU
EXTRA=${EXTRA:-}                     # more train options for every candidate (e.g. "--lr 2e-3" with a larger BATCH)
CORES=$(getconf _NPROCESSORS_ONLN)
read -r -a names <<< "$CONFIGS"
WORKERS=$(( (CORES - 3) / ${#names[@]} ))  # augmentation processes per trainer; renderers and trainers keep the rest
[ $WORKERS -lt 1 ] && WORKERS=1
OUT=${OUT:-/tmp/gpu-out}
WORK=/tmp/htr-gpu
mkdir -p "$OUT" "$WORK"
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 PALIMPSEST_SHARED_DATA=$PWD/.gpu/data
PY=${PY:-python3}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
echo "$CORES cores, $WORKERS workers for each of: $CONFIGS"

# synthetic lines keep arriving while the trainers run; each trainer takes new shards every epoch
for seed in 11 12; do
  nice -n 10 $PY -m models_ml synth shards --out $WORK/pool --n 3000 --shard-size 250 --height 64 \
    --script latin --seed $seed > $WORK/render-$seed.log 2>&1 &
done
ready=()
for seed in 77 78 79; do
  $PY -m models_ml synth digits --mnist-split train --out $WORK/digits-$seed --n 1000 --seed $seed \
    > $WORK/digits-$seed.log 2>&1 &
  ready+=($!)
done
$PY -m models_ml synth lines --out $WORK/val --n 150 --fonts heldout --texts heldout --seed 1000 \
  > $WORK/val.log 2>&1 &
ready+=($!)
$PY -m models_ml widen models_ml/store/htr-default --hidden 320 --to $WORK/w320 > $WORK/widen.log 2>&1
wait "${ready[@]}"
mkdir -p $WORK/val && cp .gpu/val-wills/* $WORK/val/
tail -n 1 $WORK/digits-77.log $WORK/val.log $WORK/widen.log
echo "data ready: $(ls $WORK/val/*.png | wc -l) validation lines, $(ls $WORK/pool 2>/dev/null | wc -l) shards"

seg=()  # the segmenter's crops of the training pages, where prepare_gpu_lease.py --segmenter-crops packed them
[ -d .gpu/real-seg ] && seg=(--data .gpu/real-seg --data .gpu/real-seg)
common=(--pool $WORK/pool --data .gpu/real-poly --data .gpu/real-poly --data .gpu/real-poly "${seg[@]}"
        --data $WORK/digits-77 --data $WORK/digits-78 --data $WORK/digits-79 --val $WORK/val
        --time-budget "$BUDGET_MIN" --eval-every 500 --checkpoint-every 500 --patience 1000
        --threads 1 --keep last --lm-order 0 --max-steps 1000000 --batch-size $BATCH --workers $WORKERS)
declare -A args=(
  [h64]="--height 64 --channels 16,32,64,96,128 --pools 2x2,2x2,2x1,2x1,4x1 --hidden 256 --layers 3 --width-norm 28 1.0 1.8 --lr 1e-3 --seed 64"
  [h48]="--height 48 --channels 24,48,64,96,128 --pools 2x2,2x2,2x1,2x1,3x1 --hidden 256 --layers 3 --width-norm 21 1.0 1.8 --lr 1e-3 --seed 48"
  [w32]="--init-from $WORK/w320 --lr 5e-4 --seed 32"
)
declare -A pid
start() {  # name, amp
  $PY -m models_ml train --out $WORK/run-$1 --export $WORK/export-$1 --name htr-gpu-$1 --amp $2 \
    "${common[@]}" ${args[$1]} $EXTRA > $WORK/train-$1.log 2>&1 &
  pid[$1]=$!
}
started=$(date +%s)
for name in "${names[@]}"; do start $name fp16; done
sleep 60
for name in "${names[@]}"; do  # a trainer that died in its first minute gets one more try in fp32
  if ! kill -0 ${pid[$name]} 2>/dev/null; then
    echo "== $name stopped early; log tail:"; tail -5 $WORK/train-$name.log
    start $name off
  fi
done
collect() {  # the newest exports into $OUT, so a lease cut short still brings weights back
  for name in "${names[@]}"; do
    mkdir -p $OUT/$name
    cp $WORK/export-$name/model.safetensors $WORK/export-$name/card.json $OUT/$name/ 2>/dev/null
  done
}
deadline=$(( started + $(awk "BEGIN{print int($BUDGET_MIN * 60)}") + 90 ))
alive() { for name in "${names[@]}"; do kill -0 ${pid[$name]} 2>/dev/null && return 0; done; return 1; }
while [ "$(date +%s)" -lt $deadline ] && alive; do
  sleep 15
  [ $(( ($(date +%s) - started) % 90 )) -lt 15 ] && collect
  [ $(( ($(date +%s) - started) % 120 )) -lt 15 ] && for name in "${names[@]}"; do
    echo "$name $(grep '"train"' $WORK/run-$name/metrics.jsonl 2>/dev/null | tail -1 | cut -c1-200)"; done
done
for name in "${names[@]}"; do kill ${pid[$name]} 2>/dev/null; done
sleep 2
collect
for name in "${names[@]}"; do
  echo "== $name"; tail -2 $WORK/train-$name.log | cut -c1-400
  grep '"eval"' $WORK/run-$name/metrics.jsonl | tail -4
  grep '"train"' $WORK/run-$name/metrics.jsonl | tail -1
done
tar czf $OUT/logs.tar.gz -C $WORK $(cd $WORK && ls -d *.log run-*/metrics.jsonl export-*/card.json run-*/card.base.json run-*/curves.png 2>/dev/null)
for model in models_ml/store/htr-default $WORK/export-h64; do  # inference and training speed on this GPU
  [ -f $model/card.json ] && timeout 45 $PY bench/htr_bench.py --model $model --speed-only --lines 120 \
    >> $OUT/bench-gpu.log 2>&1
done
tail -n 30 $OUT/bench-gpu.log
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
